package sqlite

import "context"

// LimitPages sets max_page_count on the connection that writes spans: 0
// makes the database "full" at its current size (writes that need another
// page fail with SQLITE_FULL, as on a full disk), a large n lifts that.
func (s *Store) LimitPages(ctx context.Context, n int) error {
	if n == 0 {
		if err := s.wconn.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&n); err != nil {
			return err
		}
	}
	_, err := s.wconn.ExecContext(ctx, `PRAGMA max_page_count = `+itoa(n))
	return err
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}
