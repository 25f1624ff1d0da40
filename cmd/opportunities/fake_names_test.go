package main

import (
	"github.com/mogulkit/opportunities/chartmogultest"
	"github.com/mogulkit/opportunities/generated"
)

// The opportunities the embedded fake (--fake) and fake-server --seed start
// with are chartmogultest.DocumentationSeed; the help's examples name them.
// The tests know them by these names.
const (
	fakeOpportunityUUID     = chartmogultest.DocRecordedUUID
	fakeOpportunityCustomer = chartmogultest.DocRecordedCustomerUUID
	fakeSeedUUID            = chartmogultest.DocCreateExampleUUID
	fakeSeedCustomer        = chartmogultest.DocCreateExampleCustomerUUID
)

// fakeSeed returns the embedded fake's opportunities.
func fakeSeed() []generated.Opportunity { return chartmogultest.DocumentationSeed() }
