// Package check answers rights checks for internal systems fast: may an organisation
// exercise a right over an asset for a purpose, delivered in a form, in a region, now?
//
// What a check means is domain.Evaluate; this package only feeds it, from a cache.
//
// # What the cache holds
//
// Per asset, one *domain.CheckGraph: the asset projection (holder, grade, state), the
// grade rule of its grade, and every grant on the asset with its current state, as the
// Loader read them, reduced to what domain.Evaluate reads in a compact form that holds
// almost no pointers (the cache is most of the heap; the garbage collector marks a
// CheckGraph without scanning it). A graph is never changed once built; an invalidation drops it and the next
// check loads a new one. Evaluation reads the check's own time, so the passing of time
// (a window opening or closing) needs no invalidation. Unknown assets are cached too (a
// graph without an asset), so a stream of checks on an unregistered asset does not reach
// the database. At most WithMaxAssets graphs are kept (default 100 000; an arbitrary one
// goes when a shard is full), each for at most WithMaxAge (default 10 minutes: defence in
// depth, notifications are what keep it right).
// Only canonical asset ids (lower-case 8-4-4-4-12 UUIDs, the form the notifications
// carry) are cached; any other spelling is loaded on every check.
//
// # Memory and the garbage collector
//
// The cache is most of a rights replica's heap, and it lives long, so the garbage
// collector marks it on every cycle. A CheckGraph is a few allocations per asset that
// hold no pointers (grants as value structs, strings in one text, times as seconds and
// nanoseconds; only the grants with a condition are also kept as Grants, whose strings
// point into that text): about 250 bytes per grant, and a full collection over 100 000
// grants on 10 000 assets costs some 10 ms of CPU where the *domain.Graph form cost 80
// (BenchmarkCacheGC). GOGC and GOMEMLIMIT are the process's (k8s/base/configmap.yaml);
// the benchmark runs with whatever the environment sets and reports it.
//
// # What invalidates it
//
// Every committed insert or update of the rights schema's assets, holdings, grants and
// grade_policy rows sends NOTIFY yaosu_rights_changed (a trigger, delivered at commit),
// with the asset id, or '*' for the grade policy. Run LISTENs on a dedicated connection
// and drops the asset's graph, or every graph for '*' (or for a payload it does not
// understand). Deletes do not notify: rows that checks read must not be deleted. A load that began before an
// invalidation is never stored after it: each asset has a generation counter, and the
// whole cache an epoch, that an invalidation increments; a load stores its graph only if
// both are what they were when it began. Concurrent misses on one asset share one load.
//
// While the listener is not connected (before Run first connects, after the connection
// fails, until it is re-established) notifications may be missed, so the checker serves
// nothing from the cache: every check loads its graph. On (re)connection it clears the
// cache after LISTEN is in place and only then caches again. The listener pings its
// connection when it has been quiet for PingInterval, so a silently dead connection is
// noticed within PingInterval + PingTimeout.
//
// A revoked grant therefore stops allowing checks as soon as the notification of its
// commit reaches the replica (milliseconds), and at worst after the ping bound when the
// connection died without a word.
//
// # Denials
//
// Denied checks are counted in memory per (organisation, asset, right, reason) and
// handed in batches to a sink (FlushDenials, RunDenialFlusher), which writes them as one
// rights.check.denied event; a failed sink puts the counts back.
package check
