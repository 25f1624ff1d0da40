package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDemoRunsEveryStep(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	s := out.String()
	for _, want := range []string{
		"1. Created:", "owner           test1@example.org", "seats=3 (int64)", "win likelihood 40 %",
		"2. Updated", "New Business / Proposal", "win likelihood 0 %", "seats=5 (int64)",
		"3. Listed", "found: 1",
		"4. Retrieved:",
		"5. Deleted",
		"6. Retrieving it again fails as it should", "404 Not Found: Opportunity not found",
		"7. Bad input is refused before sending", "win_likelihood: must be between 0 and 100 (minimum, maximum), got 140",
	} {
		require.Contains(t, s, want)
	}
}
