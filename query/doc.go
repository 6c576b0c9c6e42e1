// Package query is the search language of trace lists: the q= parameter of
// GET /v1/traces, the web view's search box and the terminal UI's filter.
//
// A query is terms joined by AND (or just written side by side), OR and NOT
// (or a leading -), with parentheses; NOT binds tightest, then AND, then
// OR. A term is field, operator, value:
//
//	service:shop name:~check status:failed duration>100ms
//	tag.version:1.4.2 error:~timeout app:demo root.duration>1s
//	(name:checkout OR name:"pay now") -status:failed
//
// ":" compares equal, ":~" tests that the field contains the value (ASCII
// letters in either case); durations and counts take >, >=, < and <= too. A bare word
// or a quoted string is name:~ that text. Values with spaces or parentheses
// go in double quotes (\" and \\ inside). The fields are the table of
// [Fields].
//
// How terms bind: a trace matches when one of its spans matches. Terms
// joined by AND and OR describe the same span (service:shop status:failed:
// a failed span of shop), as long as no NOT is among them; trace fields
// (app, root.*, spans, errors) are the same for every span of a trace. NOT
// X says that no
// span of the trace matches X (-status:failed: a trace without a failed
// span), so the operands of an AND are split: those without a NOT describe
// one span, and each with a NOT holds for the whole trace
// (service:shop -status:failed: a span of shop, and no failed span).
// Hence -(-status:failed) is a trace with a failed span, wherever it is:
// service:shop -(-status:failed) is a shop span and a failed one, not
// necessarily the same.
//
// [Parse] reads a query into an [Expr], whose String prints it back in a
// canonical form that parses to the same tree; [Compile] turns an Expr
// into SQL for an engine through its [Dialect], with every value a bound
// argument and every column from the term table.
package query
