package main

import "github.com/mogulkit/opportunities/contract/livecheck"

// The report's model moved to package livecheck; the tests here read the
// JSON report with it under its old names.
type finding = livecheck.Finding

const (
	sevDrift      = livecheck.SevDrift
	sevWarning    = livecheck.SevWarning
	kindStatus    = livecheck.KindStatus
	kindRequired  = livecheck.KindRequired
	kindType      = livecheck.KindType
	kindUnknown   = livecheck.KindUnknown
	kindBehaviour = livecheck.KindBehaviour
)
