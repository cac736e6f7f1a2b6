package codec

import (
	"fmt"
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
