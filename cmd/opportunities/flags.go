package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// customFlag is the repeatable --custom KEY=VALUE flag.
type customFlag struct{ m map[string]any }

func (c *customFlag) String() string { return "" }

func (c *customFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return errors.New("want KEY=VALUE, or KEY:=VALUE for a string")
	}
	key, asString := customKey(k)
	if key == "" {
		return errors.New("the key is empty")
	}
	if _, dup := c.m[key]; dup {
		return fmt.Errorf("custom attribute %q is given twice", key)
	}
	var val any = v
	if !asString {
		var err error
		if val, err = typedValue(v); err != nil {
			return fmt.Errorf("%v (write %s:=%s to send it as a string)", err, key, v)
		}
	}
	if c.m == nil {
		c.m = map[string]any{}
	}
	c.m[key] = val
	return nil
}

// fieldFlags are the per-field flags of create and update.
type fieldFlags struct {
	customerUUID, owner, pipeline, stage, closeDate, currency, typ, forecast string

	amount int64
	win    int
	custom customFlag
}

func (ff *fieldFlags) register(fs *flag.FlagSet, create bool) {
	if create {
		fs.StringVar(&ff.customerUUID, "customer-uuid", "", "customer_uuid: the customer, `cus_UUID` (required)")
	}
	req := ""
	if create {
		req = " (required)"
	}
	fs.StringVar(&ff.owner, "owner", "", "owner: e-mail of a user with a CRM seat"+req)
	fs.StringVar(&ff.pipeline, "pipeline", "", "pipeline: pipeline name, e.g. \"New Business\""+req)
	fs.StringVar(&ff.stage, "stage", "", "pipeline_stage: stage name, e.g. Discovery"+req)
	fs.StringVar(&ff.closeDate, "close-date", "", "estimated_close_date: `YYYY-MM-DD`"+req)
	fs.StringVar(&ff.currency, "currency", "", "currency: ISO 4217 `code`, e.g. USD"+req)
	fs.Int64Var(&ff.amount, "amount-cents", 0, "amount_in_cents: amount in minor units (cents)"+req)
	fs.StringVar(&ff.typ, "type", "", "type: recurring or one-time")
	fs.StringVar(&ff.forecast, "forecast", "", "forecast_category: pipeline, best_case, committed, lost or won")
	fs.IntVar(&ff.win, "win-likelihood", 0, "win_likelihood: `percent`, 0 to 100; when not given it is not sent (0 is sent as 0)")
	fs.Var(&ff.custom, "custom", "custom attribute `KEY=VALUE`, repeatable. The value is typed as JSON reads it:\n"+
		"true/false a boolean, 3 an integer, 12.5 a decimal, anything else a string;\n"+
		"KEY:=VALUE always sends a string (e.g. zip:=02134)")
}

// fields returns the fields whose flags were given on the command line.
func (ff *fieldFlags) fields(fs *flag.FlagSet) (f fields, given bool) {
	fs.Visit(func(fl *flag.Flag) {
		s := func(v string) *string { return &v }
		switch fl.Name {
		case "customer-uuid":
			f.customerUUID = s(ff.customerUUID)
		case "owner":
			f.owner = s(ff.owner)
		case "pipeline":
			f.pipeline = s(ff.pipeline)
		case "stage":
			f.stage = s(ff.stage)
		case "close-date":
			f.closeDate = s(ff.closeDate)
		case "currency":
			f.currency = s(ff.currency)
		case "type":
			f.typ = s(ff.typ)
		case "forecast":
			f.forecast = s(ff.forecast)
		case "amount-cents":
			n := ff.amount
			f.amount = &n
		case "win-likelihood":
			n := ff.win
			f.win = &n
		case "custom":
			f.custom = ff.custom.m
		default:
			return
		}
		given = true
	})
	return f, given
}
