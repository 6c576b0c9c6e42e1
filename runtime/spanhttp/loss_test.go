package spanhttp

import "testing"

func TestLossSummary(t *testing.T) {
	tests := []struct {
		name   string
		add    func(l *losses)
		unsent int
		want   string
	}{
		{"nothing", func(*losses) {}, 0, ""},
		{"one reason", func(l *losses) {
			l.add(lossUnreachable, 1000, "dial tcp: refused")
			l.add(lossUnreachable, 234, "dial tcp: connection refused")
		}, 0, "1,234 spans lost (receiver unreachable: dial tcp: connection refused)"},
		{"several reasons, in a fixed order", func(l *losses) {
			l.add(lossBufferFull, 2000000, "")
			l.add(lossTooLarge, 3, "")
			l.add(lossUnreachable, 10, "timeout")
		}, 0, "2,000,013 spans lost (receiver unreachable, 10 spans: timeout; too large for the receiver even alone, 3 spans; buffer full (receiver down or slower than the program), 2,000,000 spans)"},
		{"unsent at the deadline", func(l *losses) {
			l.add(lossFailing, 5, "503 Service Unavailable")
		}, 7, "5 spans lost (receiver failing: 503 Service Unavailable; 7 spans not sent by the flush deadline)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l losses
			tt.add(&l)
			if got := l.unreported(tt.unsent); got != tt.want {
				t.Errorf("unreported() = %q; want %q", got, tt.want)
			}
			if again := l.unreported(0); again != "" {
				t.Errorf("unreported() again = %q; want \"\" (nothing new)", again)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q; want %q", n, got, want)
		}
	}
}
