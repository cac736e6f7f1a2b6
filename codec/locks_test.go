package codec

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

func TestLocksNoDeadlock(t *testing.T) {
	l := NewLocks(8) // few stripes: many keys collide
	keys := make([][]byte, 40)
	for i := range keys {
		keys[i] = []byte(fmt.Sprint("k", i))
	}
	counter := 0
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				// Opposite orders, duplicates, and overlapping sets.
				a, c := keys[(w+i)%40], keys[(w*7+i*3)%40]
				var unlock func()
				if w%2 == 0 {
					unlock = l.Lock(a, c, a)
				} else {
					unlock = l.Lock(c, a)
				}
				unlock()
				unlock = l.Lock(keys[0])
				counter++ // guarded by the stripe of keys[0]
				unlock()
			}
		}(w)
	}
	wg.Wait()
	if counter != 8*500 {
		t.Fatalf("counter = %d", counter)
	}
	unlock := l.LockAll()
	unlock()
	l.Lock()()
	if got := len(NewLocks(1000).stripes); got != 1024 {
		t.Fatalf("stripes rounded to %d", got)
	}
}

// TestLocksContended: a stripe is contended exactly while a caller waits
// for it (LockStripe, or Lock of one of its keys), not while it is merely
// held or taken with TryLockStripe.
func TestLocksContended(t *testing.T) {
	l := NewLocks(16)
	key := []byte("k")
	i := l.Stripe(key)
	if l.Contended(i) {
		t.Fatal("a free stripe is contended")
	}
	if !l.TryLockStripe(i) {
		t.Fatal("TryLockStripe of a free stripe failed")
	}
	if l.Contended(i) || l.TryLockStripe(i) {
		t.Fatal("a held stripe is contended, or taken twice")
	}
	got := make(chan struct{}, 2)
	go func() {
		l.LockStripe(i)
		got <- struct{}{}
		l.UnlockStripe(i)
	}()
	go func() {
		unlock := l.Lock(key)
		got <- struct{}{}
		unlock()
	}()
	for !(l.stripes[i].waiters.Load() == 2) {
		runtime.Gosched()
	}
	if !l.Contended(i) {
		t.Fatal("not contended with two callers waiting")
	}
	l.UnlockStripe(i)
	<-got
	<-got
	if l.Contended(i) {
		t.Fatal("contended after every waiter took and released the stripe")
	}
}
