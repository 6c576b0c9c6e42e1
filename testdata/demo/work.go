package main

import "time"

// slowLoop runs n steps of about a millisecond each and returns how many ran.
func slowLoop(n int) int {
	done := 0
	for range n {
		step()
		done++
	}
	return done
}

// step stands for a slow piece of work, such as a disk read.
func step() {
	time.Sleep(time.Millisecond)
}

// primesBelow returns the primes less than n.
func primesBelow(n int) []int {
	var ps []int
	for i := 2; i < n; i++ {
		if isPrime(i) {
			ps = append(ps, i)
		}
	}
	return ps
}

// isPrime reports whether n is prime, by trial division. It is fast and
// called many times in a row: spantree folds its calls into one line.
func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

func sum(xs []int) int {
	total := 0
	for _, x := range xs {
		total += x
	}
	return total
}

func mean(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	return float64(sum(xs)) / float64(len(xs))
}
