package bulk_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mogulkit/opportunities/bulk"
)

// writeJournal makes a journal of n rows, each sending then created.
func writeJournal(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deals.jsonl.journal")
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl"})
	require.NoError(t, err)
	for i := 1; i <= n; i++ {
		require.NoError(t, j.Append(bulk.Record{Line: i, State: bulk.StateSending}))
		require.NoError(t, j.Append(bulk.Record{Line: i, State: bulk.StateCreated, UUID: "u" + string(rune('a'+i))}))
	}
	require.NoError(t, j.Close())
	return path
}

func replay(t *testing.T, path string) ([]bulk.Record, bulk.Integrity) {
	t.Helper()
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	defer j.Close()
	var recs []bulk.Record
	integ, err := j.Replay(func(r bulk.Record) { recs = append(recs, r) })
	require.NoError(t, err)
	return recs, integ
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.SplitAfter(string(data), "\n")
}

func TestJournalIntactAndResumed(t *testing.T) {
	path := writeJournal(t, 3)
	recs, integ := replay(t, path)
	require.Len(t, recs, 6)
	require.Empty(t, integ.Damage)
	require.WithinDuration(t, time.Now(), integ.Started, time.Minute)
	require.Equal(t, "ud", recs[5].UUID)

	// Appending after a resume keeps the chain whole.
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	require.NoError(t, j.Append(bulk.Record{Line: 4, State: bulk.StateSending}))
	require.NoError(t, j.Close())
	recs, integ = replay(t, path)
	require.Len(t, recs, 7)
	require.Empty(t, integ.Damage)

	// A new journal over an existing one is refused; so is resuming none,
	// one of another input, and a second opener.
	_, err = bulk.OpenJournal(path, bulk.JournalOptions{})
	require.ErrorIs(t, err, bulk.ErrJournalExists)
	_, err = bulk.OpenJournal(path+".missing", bulk.JournalOptions{Resume: true})
	require.ErrorIs(t, err, bulk.ErrNoJournal)
	_, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "other.csv", Resume: true})
	require.ErrorContains(t, err, `belongs to the input "deals.jsonl", not "other.csv"`)
	j, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	_, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.ErrorIs(t, err, bulk.ErrJournalLocked)
	require.NoError(t, j.Close())
}

// Every kind of damage is seen, and a crash-torn last line is not damage.
func TestJournalDamageIsDetected(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(l []string) string
		want   string // in Integrity.Damage; "" for none
		note   string
	}{
		{"middle lines deleted", func(l []string) string { return strings.Join(append(l[:3:3], l[5:]...), "") }, "records 3 to 4 are missing", ""},
		{"emptied", func([]string) string { return "" }, "the journal is empty", ""},
		{"a middle line cut", func(l []string) string {
			l[3] = l[3][:len(l[3])/2] + "\n"
			return strings.Join(l, "")
		}, "line 4 is cut short (not by a crash", ""},
		{"a line edited", func(l []string) string {
			l[4] = strings.Replace(l[4], `"state":"created"`, `"state":"failed"`, 1)
			return strings.Join(l, "")
		}, "line 6 does not follow", ""},
		{"lines cut from the end", func(l []string) string { return strings.Join(l[:len(l)-3], "") }, "lines were cut from its end", ""},
		{"the last line edited", func(l []string) string {
			l[6] = strings.Replace(l[6], `"uuid":"ud"`, `"uuid":"ua"`, 1)
			return strings.Join(l, "")
		}, "its last record (record 6) was edited", ""},
		{"a line copied further down", func(l []string) string {
			return strings.Join(append(l[:5:5], l[2], l[5], l[6]), "")
		}, "line 6 is record 2 again, after record 4", ""},
		{"one record deleted", func(l []string) string { return strings.Join(append(l[:3:3], l[4:]...), "") }, "record 3 is missing (before line 4)", ""},
		{"the header deleted", func(l []string) string { return strings.Join(l[1:], "") }, "first line is not its header", ""},
		{"a crash tore the last line", func(l []string) string {
			return strings.Join(l, "") + `{"seq":7,"prev":"x","line":4,"sta`
		}, "", "its last line was cut short by a crash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeJournal(t, 3)
			require.NoError(t, os.WriteFile(path, []byte(tt.damage(lines(t, path))), 0o644))
			_, integ := replay(t, path)
			if tt.want == "" {
				require.Empty(t, integ.Damage)
			} else {
				require.Contains(t, integ.Damage, tt.want)
			}
			if tt.note != "" {
				require.Contains(t, strings.Join(integ.Notes, "\n"), tt.note)
			}
		})
	}
}

// After a crash tore its last line, the next run continues the chain; the
// torn line in the middle is then no damage. A "checked" record settles
// damage before it.
func TestJournalHealsAndSettles(t *testing.T) {
	path := writeJournal(t, 2)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"seq":5,"prev":"0","line":3,"st`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	require.NoError(t, j.Append(bulk.Record{Line: 3, State: bulk.StateSending}))
	require.NoError(t, j.Close())
	recs, integ := replay(t, path)
	require.Empty(t, integ.Damage)
	require.Len(t, recs, 5)
	require.Contains(t, integ.Notes[0], "cut short by a crash and is ignored")

	// Damage, then a check settles it.
	l := lines(t, path)
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(append(l[:2:2], l[3:]...), "")), 0o644))
	j, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	integ, err = j.Replay(func(bulk.Record) {})
	require.NoError(t, err)
	require.NotEmpty(t, integ.Damage)
	require.NoError(t, j.Append(bulk.Record{State: bulk.StateChecked}))
	require.NoError(t, j.Close())
	_, integ = replay(t, path)
	require.Empty(t, integ.Damage)
}

// A version 1 journal (no header, no chain) is converted; the old file is
// kept, and the import treats it as damaged until it was checked.
func TestJournalVersion1IsConverted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.journal")
	v1 := `{"line":1,"state":"sending","at":"2024-03-21T06:46:23.137912Z","row_sha256":"9f2c4e01a7b3d5c8"}
{"line":1,"state":"created","at":"2024-03-21T06:46:23.5Z","uuid":"bb544336-e74e-11ee-800c-effc264f19ed"}
{"line":2,"state":"sending","at":"2024-03-21T06:46:24Z"}
{"line":3,"sta`
	require.NoError(t, os.WriteFile(path, []byte(v1), 0o644))
	require.True(t, bulk.LooksLikeJournal([]byte(strings.SplitN(v1, "\n", 2)[0])))
	require.False(t, bulk.LooksLikeJournal([]byte(`{"customer_uuid":"cus_x","line":3,"state":"sending"}`)))
	recs, integ := replay(t, path)
	require.Len(t, recs, 3)
	require.Equal(t, "bb544336-e74e-11ee-800c-effc264f19ed", recs[1].UUID)
	require.Equal(t, "9f2c4e01a7b3d5c8", recs[0].Fingerprint)
	require.Contains(t, integ.Damage, "older version (format 1)")
	require.Equal(t, time.Date(2024, 3, 21, 5, 46, 23, 137912000, time.UTC), integ.Started.UTC(), "an hour before its first record")
	kept, err := os.ReadFile(path + ".v1")
	require.NoError(t, err)
	require.Equal(t, v1, string(kept))
	first := lines(t, path)[0]
	require.True(t, bulk.LooksLikeJournal([]byte(first)))
	require.Contains(t, first, `"version":3`)
	require.Contains(t, first, `"converted_from":1`)
	// Still "damaged" on the next open, until a check settles it.
	_, integ = replay(t, path)
	require.NotEmpty(t, integ.Damage)
}

func TestJournalOfAnUnknownVersionIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	require.NoError(t, os.WriteFile(path, []byte(`{"journal":"mogulkit-opportunities-import","version":9,"last_seq":"00000000000000000000"}`+"\n"), 0o644))
	_, err := bulk.OpenJournal(path, bulk.JournalOptions{Resume: true})
	require.ErrorContains(t, err, "journal format 9 is not known")
}

// Damage stays reported until an import settles it, also when the run that
// found it was killed before: a rebuilt header says so, and a cut end stays
// a gap in the numbering.
func TestJournalDamageSurvivesAKilledRun(t *testing.T) {
	for _, tt := range []struct {
		name   string
		damage func(l []string) string
	}{
		{"emptied", func([]string) string { return "" }},
		{"the header deleted", func(l []string) string { return strings.Join(l[1:], "") }},
		{"lines cut from the end", func(l []string) string { return strings.Join(l[:len(l)-2], "") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeJournal(t, 3)
			require.NoError(t, os.WriteFile(path, []byte(tt.damage(lines(t, path))), 0o644))
			j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
			require.NoError(t, err)
			integ, err := j.Replay(func(bulk.Record) {})
			require.NoError(t, err)
			require.NotEmpty(t, integ.Damage)
			require.NoError(t, j.Append(bulk.Record{Line: 9, State: bulk.StateSending}))
			require.NoError(t, j.Close()) // killed before the check
			_, integ = replay(t, path)
			require.NotEmpty(t, integ.Damage, "still damaged")
		})
	}
}

func hashOf(line string) string {
	sum := sha256.Sum256([]byte(line))
	return hex.EncodeToString(sum[:8])
}

func TestCreateJournalIsCreatedWithItsFirstRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deals.jsonl.journal")
	j, err := bulk.CreateJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	var _ bulk.Journal = j
	integ, err := j.Replay(func(bulk.Record) { t.Fatal("a new journal replays nothing") })
	require.NoError(t, err)
	require.Equal(t, bulk.Integrity{}, integ)
	require.NoFileExists(t, path, "nothing recorded, no file")

	require.NoError(t, j.Append(bulk.Record{Line: 1, State: bulk.StateSending}))
	require.NoError(t, j.Append(bulk.Record{Line: 1, State: bulk.StateCreated, UUID: "u1"}))
	require.NoError(t, j.Close())

	r, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Resume: true})
	require.NoError(t, err)
	defer r.Close()
	var got []bulk.Record
	_, err = r.Replay(func(rec bulk.Record) { got = append(got, rec) })
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "u1", got[1].UUID)
}

func TestCreateJournalCloseWithoutRecordsLeavesNoFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := bulk.CreateJournal(path, bulk.JournalOptions{})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	require.NoFileExists(t, path)
}

func TestCreateJournalRefusesAtOnce(t *testing.T) {
	dir := t.TempDir()
	_, err := bulk.CreateJournal(dir, bulk.JournalOptions{})
	require.ErrorIs(t, err, bulk.ErrJournalIsDir)

	full := filepath.Join(dir, "full")
	require.NoError(t, os.WriteFile(full, []byte("x\n"), 0o644))
	_, err = bulk.CreateJournal(full, bulk.JournalOptions{})
	require.ErrorIs(t, err, bulk.ErrJournalExists)

	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	j, err := bulk.CreateJournal(empty, bulk.JournalOptions{})
	require.NoError(t, err, "an empty file is a journal not begun")
	require.NoError(t, j.Append(bulk.Record{Line: 1, State: bulk.StateSending}))
	require.NoError(t, j.Close())
}

// A journal that could never be created is refused before anything is sent,
// and the check leaves no file behind.
func TestCreateJournalRefusesAPlaceWhereNoFileCanBeCreated(t *testing.T) {
	dir := t.TempDir()
	_, err := bulk.CreateJournal(filepath.Join(dir, "missing", "deals.journal"), bulk.JournalOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "deals.journal: no journal can be created in "+filepath.Join(dir, "missing")+": ")

	j, err := bulk.CreateJournal(filepath.Join(dir, "deals.journal"), bulk.JournalOptions{})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the probe is removed")
}

func TestCreateJournalRefusesAJournalBegunSince(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := bulk.CreateJournal(path, bulk.JournalOptions{})
	require.NoError(t, err)
	other, err := bulk.OpenJournal(path, bulk.JournalOptions{}) // another import
	require.NoError(t, err)
	require.NoError(t, other.Append(bulk.Record{Line: 1, State: bulk.StateSending}))
	require.NoError(t, other.Close())

	err = j.Append(bulk.Record{Line: 1, State: bulk.StateSending})
	require.ErrorIs(t, err, bulk.ErrJournalExists)

	worded := errors.New("in the caller's words")
	j.OpenError = func(e error) error {
		require.ErrorIs(t, e, bulk.ErrJournalExists)
		return worded
	}
	require.Equal(t, worded, j.Append(bulk.Record{Line: 1, State: bulk.StateSending}))
	require.NoError(t, j.Close())
}

func TestIsJournalFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	require.True(t, bulk.IsJournalFile(writeJournal(t, 1)))
	require.True(t, bulk.IsJournalFile(file("v1.log", "\n  \n"+`{"line":2,"state":"sending","at":"2024-03-21T06:46:23Z"}`+"\n")),
		"a version 1 journal, after blank lines")
	require.False(t, bulk.IsJournalFile(file("deals.jsonl", `{"customer_uuid":"cus_x","line":3,"state":"sending"}`+"\n")),
		"a create body is no journal record")
	require.False(t, bulk.IsJournalFile(file("deals.csv", "customer_uuid,owner\n")))
	require.False(t, bulk.IsJournalFile(file("empty", "")))
	require.False(t, bulk.IsJournalFile(file("long", strings.Repeat("x", 2<<20))), "a first line too long to be a header")
	require.False(t, bulk.IsJournalFile(filepath.Join(dir, "missing")))
	require.False(t, bulk.IsJournalFile(dir), "a directory")
	require.False(t, bulk.IsJournalFile(""))
}

// A journal records the API its rows went to, and keeps it when it is
// resumed against another (the caller compares); an older journal has none.
func TestJournalTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deals.journal")
	j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Target: "https://api.chartmogul.com/v1"})
	require.NoError(t, err)
	require.Equal(t, "https://api.chartmogul.com/v1", j.Target())
	require.NoError(t, j.Append(bulk.Record{Line: 2, State: bulk.StateCreated, UUID: "u2"}))
	require.NoError(t, j.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), `"target":"https://api.chartmogul.com/v1"`)

	for _, target := range []string{"http://127.0.0.1:12111/v1", ""} {
		j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Target: target, Resume: true})
		require.NoError(t, err, "target %q", target)
		require.Equal(t, "https://api.chartmogul.com/v1", j.Target(), "the journal's, not the caller's")
		require.NoError(t, j.Append(bulk.Record{Line: 3, State: bulk.StateCreated, UUID: "u3"}))
		require.NoError(t, j.Close())
	}
	_, integ := replay(t, path)
	require.Empty(t, integ.Damage)

	old := filepath.Join(t.TempDir(), "old.journal")
	j, err = bulk.OpenJournal(old, bulk.JournalOptions{Source: "deals.csv"})
	require.NoError(t, err)
	require.NoError(t, j.Close())
	j, err = bulk.OpenJournal(old, bulk.JournalOptions{Source: "deals.csv", Target: "http://127.0.0.1:12111/v1", Resume: true})
	require.NoError(t, err)
	require.Empty(t, j.Target())
	require.NoError(t, j.Close())
}

// A journal begun for an ephemeral target (a fake that forgets its rows) is
// not resumed against another, nor one begun elsewhere against an
// ephemeral target; the refusal leaves the journal unlocked and as it was.
// Other targets, the same one and targets not named are let through.
func TestJournalEphemeralTarget(t *testing.T) {
	const fake, api, proxy = "the fake", "https://api.chartmogul.com/v1", "http://127.0.0.1:12111/v1"
	ephemeral := func(target string) bool { return target == fake }
	begin := func(target string) string {
		path := filepath.Join(t.TempDir(), "deals.journal")
		j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Target: target, Ephemeral: ephemeral})
		require.NoError(t, err)
		require.NoError(t, j.Append(bulk.Record{Line: 2, State: bulk.StateCreated, UUID: "u2"}))
		require.NoError(t, j.Close())
		return path
	}
	for _, tt := range []struct{ journal, target string }{{fake, api}, {api, fake}} {
		path := begin(tt.journal)
		before, err := os.ReadFile(path)
		require.NoError(t, err)
		_, err = bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Target: tt.target, Ephemeral: ephemeral, Resume: true})
		var te *bulk.TargetError
		require.ErrorAs(t, err, &te)
		require.Equal(t, bulk.TargetError{Path: path, Journal: tt.journal, Target: tt.target}, *te)
		require.EqualError(t, err, path+": the journal records an import to "+tt.journal+", not to "+tt.target+
			": the rows it records as created do not exist there")
		after, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, before, after)
		j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.jsonl", Target: tt.journal, Ephemeral: ephemeral, Resume: true})
		require.NoError(t, err, "unlocked, and resumed against its own target")
		require.NoError(t, j.Close())
	}
	for _, tt := range []struct {
		journal, target string
		ephemeral       func(string) bool
	}{{api, proxy, ephemeral}, {fake, api, nil}, {fake, "", ephemeral}, {"", fake, ephemeral}} {
		j, err := bulk.OpenJournal(begin(tt.journal), bulk.JournalOptions{Source: "deals.jsonl", Target: tt.target, Ephemeral: tt.ephemeral, Resume: true})
		require.NoError(t, err, "%q resumed against %q", tt.journal, tt.target)
		require.Equal(t, tt.journal, j.Target())
		require.NoError(t, j.Close())
	}
}

// --resume naming the wrong file (the input, a key) must not destroy it: a
// file of which no line is a journal's is refused, byte for byte as it was,
// and no copy of it is made.
func TestResumeRefusesAFileThatIsNotAJournal(t *testing.T) {
	for name, content := range map[string]string{
		"deals.csv":   "customer_uuid,owner,pipeline,pipeline_stage,estimated_close_date,currency,amount_in_cents\ncus_x,a@example.org,New Business,Discovery,2024-04-21,USD,100\n",
		"deals.jsonl": `{"customer_uuid":"cus_x","owner":"a@example.org","pipeline":"New Business"}` + "\n" + `{"customer_uuid":"cus_y"}` + "\n",
		"lookalike":   `{"customer_uuid":"cus_x","line":3,"state":"sending"}` + "\n" + `{"seq":1,"line":3,"state":"created","uuid":"u","owner":"x"}` + "\n",
		"key":         "0123456789abcdef0123456789abcdef\n",
		"config.json": "{\n  \"journal\": \"x\",\n  \"line\": 1\n}\n",
		"binary":      "\x00\x01\xff\xfe\n\x89PNG\r\n",
		"no newline":  "just text",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
			j, err := bulk.OpenJournal(path, bulk.JournalOptions{Source: "deals.csv", Resume: true})
			if j != nil {
				j.Close()
			}
			require.ErrorIs(t, err, bulk.ErrNotAJournal)
			require.ErrorContains(t, err, path+": not a journal")
			require.ErrorContains(t, err, "nothing was changed")
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, content, string(data), "left as it was")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "no copy, no .v1")
		})
	}
}

// What is refused is only what is clearly no journal: a journal that lost
// its header, whose header was cut short, or whose first line is garbage is
// still resumed, as damaged.
func TestResumeKeepsJournalsThatLostTheirHeader(t *testing.T) {
	for name, damage := range map[string]func(l []string) string{
		"header deleted":    func(l []string) string { return strings.Join(l[1:], "") },
		"header garbled":    func(l []string) string { return "garbage\n" + strings.Join(l[1:], "") },
		"header cut, alone": func(l []string) string { return l[0][:60] },
		"only one record":   func(l []string) string { return "x,y\n" + l[3] },
		"a version 1 record": func([]string) string {
			return "x,y\n" + `{"line":2,"state":"failed","at":"2024-03-21T06:46:23Z"}` + "\n"
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeJournal(t, 2)
			require.NoError(t, os.WriteFile(path, []byte(damage(lines(t, path))), 0o644))
			_, integ := replay(t, path)
			require.Contains(t, integ.Damage, "first line is not its header")
			require.True(t, bulk.IsJournalFile(path), "whole again")
		})
	}
}
