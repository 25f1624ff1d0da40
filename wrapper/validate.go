package wrapper

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mogulkit/opportunities/generated"
)

// Every rule checked here is openapi.yaml's, generated into package
// generated (rules.gen.go) by `make generate`; this file only turns its
// violations into FieldErrors.

// problems collects every problem with an input before it is reported.
type problems []FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// spec adds the spec's violations. A custom attribute is named by its key
// ("custom.seats"), not by its position in the wire list.
func (p *problems) spec(vs []generated.Violation, custom []generated.CustomAttribute) {
	for _, v := range vs {
		field := v.Field
		if rest, ok := strings.CutPrefix(field, "custom["); ok {
			if i, after, ok := strings.Cut(rest, "]"); ok {
				if n, err := strconv.Atoi(i); err == nil && n < len(custom) {
					field = "custom." + custom[n].Key
					if after == ".key" {
						field = "custom"
					}
				}
			}
		}
		if slices.ContainsFunc(*p, func(f FieldError) bool { return f.Field == field }) {
			continue // one problem per field: the first found says enough
		}
		*p = append(*p, FieldError{Field: field, Problem: v.Problem})
	}
}

// sortBy orders the problems as props lists the fields (custom attributes
// at custom's place), keeping the order of problems about one field.
func (p problems) sortBy(props []generated.Property) {
	rank := func(field string) int {
		name, _, _ := strings.Cut(field, ".")
		for i, pr := range props {
			if pr.Name == name {
				return i
			}
		}
		return len(props)
	}
	slices.SortStableFunc(p, func(a, b FieldError) int { return rank(a.Field) - rank(b.Field) })
}

// err returns nil when nothing was found, else a *ValidationError. Its return
// type is error so that a nil result is a true nil interface.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// checkUUID validates an opportunity UUID used in a path.
func checkUUID(uuid string) error {
	var p problems
	p.spec(generated.ValidateUUIDPathParameter(uuid), nil)
	return p.err()
}

// Validate reports every problem with in, exactly as [Client.Create] checks
// before sending: nil, or a *ValidationError. Use it to check a batch before
// sending any of it.
func (in OpportunityInput) Validate() error {
	_, err := createBody(in)
	return err
}

// Validate reports every problem with u, exactly as [Client.Update] checks
// before sending (the UUID aside): nil, or a *ValidationError.
func (u OpportunityUpdate) Validate() error {
	_, err := updateBody(u)
	return err
}

// Validate reports every problem with p, exactly as [Client.List] and
// [Client.All] check before sending: nil, or a *ValidationError listing the
// problems in the spec's order. PerPage 0 is none: it means the API's
// default.
func (p ListParams) Validate() error {
	_, err := listParamsToWire(p)
	return err
}
