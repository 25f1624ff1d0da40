package main

// rulesSupport is the code the generated rules call: the meaning of each
// format, the byte matcher for fixed patterns, and the violation list. It
// holds no rule of openapi.yaml's own.
const rulesSupport = `
// Violation is one rule of openapi.yaml that a value breaks.
type Violation struct {
	// Field is the API's name for the value: "win_likelihood",
	// "custom[0].value", "entries[2].uuid".
	Field string
	// Problem says what the spec demands and what was found, naming the
	// spec's keyword: "must be between 0 and 100 (minimum, maximum), got 150".
	Problem string
}

// String returns "field: problem".
func (v Violation) String() string { return v.Field + ": " + v.Problem }

type violations []Violation

func (v *violations) add(field, format string, args ...any) {
	*v = append(*v, Violation{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// isEmail is the e-mail format as kin-openapi (the validator the fake and the
// contract tests use) defines it, ^[^@]+@[^@<>",\s]+$, without a regexp.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return false
	}
	for i := at + 1; i < len(s); i++ {
		switch s[i] {
		case '@', '<', '>', '"', ',', ' ', '\t', '\n', '\f', '\r':
			return false
		}
	}
	return true
}

// isDate reports whether s is a real calendar date written YYYY-MM-DD (what
// time.Parse("2006-01-02", s) accepts, at a fraction of its cost).
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	if year < 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsDate reports whether s satisfies format: date (YYYY-MM-DD, a real day).
func IsDate(s string) bool { return isDate(s) }

// IsEmail reports whether s satisfies format: email as the contract's
// validator reads it.
func IsEmail(s string) bool { return isEmail(s) }

// isDateTime is format date-time: RFC 3339.
func isDateTime(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// isUUID is format uuid: 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// matchFixed matches s against one byte class per position.
func matchFixed(s string, classes [][4]uint64, pos string) bool {
	if len(s) != len(pos) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if classes[pos[i]][c>>6]&(1<<(c&63)) == 0 {
			return false
		}
	}
	return true
}

// jsonTypeOf names the JSON type of an encoded value.
func jsonTypeOf(raw []byte) string {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			return "string"
		case 't', 'f':
			return "boolean"
		case 'n':
			return "null"
		case '{':
			return "object"
		case '[':
			return "array"
		}
		return "number"
	}
	return "nothing"
}

// Property describes one property of an object schema of openapi.yaml.
type Property struct {
	// Name is the JSON name, e.g. "estimated_close_date".
	Name string
	// Type is the JSON Schema type: string, integer, number, boolean, array
	// or object; "" for a union (oneOf).
	Type string
	// Format is the schema's format, e.g. "date" or "email"; often "".
	Format string
	// Required reports whether the schema lists the property as required.
	Required bool
	// Enum lists the allowed values of a string enumeration.
	Enum []string
	// Description is the spec's description of the property.
	Description string
}
`
