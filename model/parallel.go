package model

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelMinWork is the amount of work (roughly multiply-adds) below which a loop is not worth
// spreading over goroutines.
const parallelMinWork = 1 << 15

// parallelFor calls fn(lo, hi) for contiguous chunks covering [0, n), on up to GOMAXPROCS
// goroutines that take chunks as they become free. Chunk boundaries are multiples of align, so a
// kernel that handles align items at a time sees the same grouping whatever the goroutine
// count. work estimates the cost of the whole loop; small loops run on the calling goroutine.
func parallelFor(n, align, work int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n <= align || workers == 1 || work < parallelMinWork {
		fn(0, n)
		return
	}
	// Several chunks per worker balance the load when other processes share the cores.
	chunk := (n + 4*workers - 1) / (4 * workers)
	chunk = (chunk + align - 1) / align * align
	chunks := (n + chunk - 1) / chunk
	workers = min(workers, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				fn(c*chunk, min(n, (c+1)*chunk))
			}
		}()
	}
	wg.Wait()
}
