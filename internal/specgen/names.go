package main

import "strings"

// initialisms are written in capitals in Go names, as oapi-codegen's
// ToCamelCaseWithInitialisms does (the name-normalizer in oapi-codegen.yaml).
var initialisms = map[string]string{"uuid": "UUID", "id": "ID", "url": "URL", "api": "API", "http": "HTTP", "json": "JSON"}

// goName turns customer_uuid or createOpportunity into CustomerUUID or
// CreateOpportunity.
func goName(s string) string {
	var parts []string
	cur := ""
	for i, r := range s {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == '.':
			parts, cur = append(parts, cur), ""
		case r >= 'A' && r <= 'Z' && i > 0:
			parts, cur = append(parts, cur), string(r)
		default:
			cur += string(r)
		}
	}
	parts = append(parts, cur)
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if in, ok := initialisms[strings.ToLower(p)]; ok {
			b.WriteString(in)
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// lowerName is goName with a lower-case first word: customerUUID.
func lowerName(s string) string {
	n := goName(s)
	for i, in := range initialisms {
		if strings.HasPrefix(n, in) {
			return i + n[len(in):]
		}
	}
	return strings.ToLower(n[:1]) + n[1:]
}
