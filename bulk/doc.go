// Package bulk creates many opportunities so that none is created twice and
// none is lost, whatever happens to the process, the network or the server.
//
// A [Source] yields [Row]s: a create input with a stable identity (Line).
// [File] reads JSON Lines or CSV files ([Spool] first copies a pipe or
// stdin to a temporary file, as Run reads the rows twice; [OpenSource]
// does either for a path, "-" meaning stdin, as a command takes it, and
// copies any path that is no regular file, a FIFO say); any
// iter.Seq2[Row, error] will do, such as rows a service reads from its own
// database. [Run] sends them with a [wrapper.Client]:
//
//  1. Check: every row is validated first, one row in memory at a time.
//     An invalid row stops the import before anything is sent, unless
//     Options.SkipInvalid.
//  2. Reconcile: a row whose earlier attempt may have created it (the
//     journal recorded its request leaving but no outcome, or a failure after
//     which it may exist) is looked up among its customer's opportunities.
//     A candidate matches only if it is exactly what the row sends
//     ([Matches]); one opportunity is claimed by at most one row. Rows are
//     claimed when every candidate can be given its own row and only one
//     assignment fits (up to rows that send the same); the rows left over
//     are sent. Otherwise (more candidates than the rows account for, or
//     rows that differ and could own them in more than one way) the rows
//     are reported as NeedsReview and neither resent nor claimed.
//  3. Send: the remaining rows are created by a pool of workers, each
//     journalled "sending" at the moment its request leaves and then with
//     its outcome.
//
// The [Journal] makes a rerun continue where the last one stopped. The
// default is a [FileJournal] ([OpenJournal], or [CreateJournal] for a new
// import that leaves no file when it records nothing): JSON Lines, fsync'd per
// record, whose header binds it to its input and vouches for its last
// record, and whose records are numbered and hash-chained, so that deleted,
// cut or edited lines (the last too) and an emptied file are detected. A
// damaged journal never leads to a silent resend: every row without a
// vouched created record is then checked against the API before it is
// sent, and a record nothing vouches for is never trusted. A file that is
// no journal at all (no line of it is a header or a record: the input named
// by mistake) is refused as it is ([ErrNotAJournal]), never rewritten. The
// header also names the API the rows were sent to (JournalOptions.Target): a
// journal begun for an ephemeral one (a fake that forgets its rows) is never
// resumed against another, nor the other way round ([TargetError]).
//
// A [Stopper] stops a run in two stages: no new row, then (on a second
// request or after a grace period) the requests in flight are aborted.
//
// The send pass is held to the rows the check saw (line and fingerprint,
// 16 bytes a row): a source that yields other rows the second time stops
// the import with a [SourceError] before such a row is sent.
//
// Give the client a [wrapper.RateBudget] (wrapper.WithRateBudget): ChartMogul's
// 40 requests per second belong to the account, and the budget slows the
// whole import down on a 429 and probes back up, where fixed-rate retries
// would exhaust rows' retries.
package bulk
