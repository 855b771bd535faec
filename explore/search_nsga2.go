package explore

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SearchPoint is a design with what the search knows of it: minimised objectives and how far
// it is outside the constraints (0 inside).
type SearchPoint struct {
	Design     Design    `json:"design"`
	Objectives []float64 `json:"objectives"`
	Violation  float64   `json:"violation,omitempty"`
}

// NSGA-II operators (Deb et al., 2002), tuned for short runs over a discrete per-layer genome.
const (
	nsgaCrossoverProb = 0.9  // uniform crossover, else the child copies its first parent
	nsgaNeighbourProb = 0.75 // a mutated rate moves one level up or down, else to any level
	nsgaRetries       = 64   // attempts at a child not asked before
	// nsgaUniformPrecisionProb is the chance that a child's layers all take one precision (a
	// random layer's): mixing int8 and float32 layers adds conversions and a second arena, so
	// an all-int8 design is often far from every mixed one in cost, and one-gene flips never
	// reach it from a float population.
	nsgaUniformPrecisionProb = 0.15
)

// NSGA2 is the non-dominated sorting genetic algorithm II over a [SearchSpace], in ask/tell
// form so that a batch of candidates can be evaluated anywhere (eval workers) between calls.
// Constraints use Deb's rule: a feasible point beats an infeasible one, two infeasible points
// compare by violation. Parents are chosen by binary tournament on (rank, crowding distance);
// children take every layer's gene from either parent (uniform crossover) and then mutate each
// gene with probability 1/layers (a rate mostly moves to a neighbouring level), and now and then
// all layers take one layer's precision (nsgaUniformPrecisionProb); survivors are
// the best popSize of parents and children by rank and crowding. A design is never asked
// twice. Everything is deterministic for a seed and the sequence of Tell calls.
type NSGA2 struct {
	space   SearchSpace
	popSize int
	rng     *rand.Rand
	asked   map[string]bool
	seeds   []Design
	pop     []SearchPoint
	rank    []int
	crowd   []float64
}

// NewNSGA2 starts a search with population popSize; seeds (invalid ones dropped, duplicates
// once) are asked first, then random designs until the first Tell, then children.
func NewNSGA2(space SearchSpace, popSize int, seed uint64, seeds []Design) (*NSGA2, error) {
	if err := space.Validate(); err != nil {
		return nil, err
	}
	if popSize < 2 {
		return nil, fmt.Errorf("nsga2: population %d, want at least 2", popSize)
	}
	n := &NSGA2{space: space, popSize: popSize, rng: rand.New(rand.NewPCG(seed, 0x6e736761)), asked: map[string]bool{}}
	seen := map[string]bool{}
	for _, d := range seeds {
		if k := space.Key(d); space.valid(d) && !seen[k] {
			seen[k] = true
			n.seeds = append(n.seeds, slices.Clone(d))
		}
	}
	return n, nil
}

// Ask returns up to k designs not asked before: pending seeds, then random designs while no
// point has been told, then children of the population. Fewer come back only when the space
// seems exhausted.
func (n *NSGA2) Ask(k int) []Design {
	var out []Design
	add := func(d Design) bool {
		key := n.space.Key(d)
		if n.asked[key] {
			return false
		}
		n.asked[key] = true
		out = append(out, d)
		return true
	}
	for len(out) < k && len(n.seeds) > 0 {
		d := n.seeds[0]
		n.seeds = n.seeds[1:]
		add(d)
	}
	for len(out) < k {
		ok := false
		for range nsgaRetries {
			var d Design
			if len(n.pop) < 2 {
				d = n.random()
			} else {
				d = n.child()
			}
			if add(d) {
				ok = true
				break
			}
		}
		if !ok && !add(n.random()) {
			break
		}
	}
	return out
}

// Tell adds evaluated points and keeps the best popSize of population and points.
func (n *NSGA2) Tell(points []SearchPoint) {
	all := append(slices.Clone(n.pop), points...)
	rank, crowd := rankAndCrowd(all)
	idx := make([]int, len(all))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(rank[a], rank[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(crowd[b], crowd[a]); c != 0 {
			return c
		}
		return cmp.Compare(n.space.Key(all[a].Design), n.space.Key(all[b].Design))
	})
	keep := min(n.popSize, len(all))
	n.pop = n.pop[:0:0]
	for _, i := range idx[:keep] {
		n.pop = append(n.pop, all[i])
	}
	n.rank, n.crowd = rankAndCrowd(n.pop)
}

// Population returns the current parents.
func (n *NSGA2) Population() []SearchPoint { return slices.Clone(n.pop) }

func (n *NSGA2) random() Design {
	d := make(Design, len(n.space.Layers))
	for i := range d {
		d[i] = Gene{Rate: n.rng.IntN(len(n.space.Rates)), Format: n.rng.IntN(len(n.space.Formats))}
		if n.space.Int8 {
			d[i].Int8 = n.rng.IntN(2) == 1
		}
	}
	return d
}

// tournament picks the better of two random parents.
func (n *NSGA2) tournament() Design {
	a, b := n.rng.IntN(len(n.pop)), n.rng.IntN(len(n.pop))
	if n.rank[b] < n.rank[a] || (n.rank[b] == n.rank[a] && n.crowd[b] > n.crowd[a]) {
		a = b
	}
	return n.pop[a].Design
}

func (n *NSGA2) child() Design {
	p, q := n.tournament(), n.tournament()
	c := slices.Clone(p)
	if n.rng.Float64() < nsgaCrossoverProb {
		for i := range c {
			if n.rng.IntN(2) == 1 {
				c[i] = q[i]
			}
		}
	}
	pm := 1 / float64(len(c))
	levels := len(n.space.Rates)
	for i := range c {
		if n.rng.Float64() < pm {
			if n.rng.Float64() < nsgaNeighbourProb {
				step := 1 - 2*n.rng.IntN(2)
				c[i].Rate = min(max(c[i].Rate+step, 0), levels-1)
			} else {
				c[i].Rate = n.rng.IntN(levels)
			}
		}
		if n.space.Int8 && n.rng.Float64() < pm {
			c[i].Int8 = !c[i].Int8
		}
		if len(n.space.Formats) > 1 && n.rng.Float64() < pm {
			c[i].Format = n.rng.IntN(len(n.space.Formats))
		}
	}
	if n.space.Int8 && n.rng.Float64() < nsgaUniformPrecisionProb {
		int8 := c[n.rng.IntN(len(c))].Int8
		for i := range c {
			c[i].Int8 = int8
		}
	}
	return c
}

// constrainedDominates is Deb's constrained domination.
func constrainedDominates(a, b SearchPoint) bool {
	switch {
	case a.Violation == 0 && b.Violation > 0:
		return true
	case a.Violation > 0 && b.Violation > 0:
		return a.Violation < b.Violation
	case a.Violation > 0:
		return false
	}
	better := false
	for i := range a.Objectives {
		if a.Objectives[i] > b.Objectives[i] {
			return false
		}
		if a.Objectives[i] < b.Objectives[i] {
			better = true
		}
	}
	return better
}

// rankAndCrowd returns each point's non-domination rank (0 the first front) and its crowding
// distance within its front (infinite at a front's ends).
func rankAndCrowd(pts []SearchPoint) ([]int, []float64) {
	n := len(pts)
	rank := make([]int, n)
	crowd := make([]float64, n)
	dominatedBy := make([]int, n)
	dominates := make([][]int, n)
	for i := range pts {
		for j := range pts {
			if i != j && constrainedDominates(pts[i], pts[j]) {
				dominates[i] = append(dominates[i], j)
				dominatedBy[j]++
			}
		}
	}
	var front []int
	for i := range pts {
		if dominatedBy[i] == 0 {
			front = append(front, i)
		}
	}
	for r := 0; len(front) > 0; r++ {
		var next []int
		for _, i := range front {
			rank[i] = r
			for _, j := range dominates[i] {
				if dominatedBy[j]--; dominatedBy[j] == 0 {
					next = append(next, j)
				}
			}
		}
		crowding(pts, front, crowd)
		front = next
	}
	return rank, crowd
}

// crowding sets the crowding distance of the points of one front.
func crowding(pts []SearchPoint, front []int, crowd []float64) {
	if len(front) == 0 {
		return
	}
	dims := len(pts[front[0]].Objectives)
	order := slices.Clone(front)
	for m := range dims {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(pts[a].Objectives[m], pts[b].Objectives[m]) })
		lo, hi := pts[order[0]].Objectives[m], pts[order[len(order)-1]].Objectives[m]
		crowd[order[0]], crowd[order[len(order)-1]] = math.Inf(1), math.Inf(1)
		if hi <= lo {
			continue
		}
		for k := 1; k < len(order)-1; k++ {
			crowd[order[k]] += (pts[order[k+1]].Objectives[m] - pts[order[k-1]].Objectives[m]) / (hi - lo)
		}
	}
}
