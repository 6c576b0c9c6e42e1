package sqlite

// MaxTxSpans is maxTxSpans, for the tests.
const MaxTxSpans = maxTxSpans

// SetWALLimit sets walLimit until the returned function restores it.
func SetWALLimit(n int64) (restore func()) {
	old := walLimit
	walLimit = n
	return func() { walLimit = old }
}
