package codegen

import (
	"fmt"
	"sort"

	"github.com/tcdse/tcdse/model"
)

// buffer is a set of values that share storage (aliases), with its live interval.
type buffer struct {
	id         int
	values     []string
	start, end int // node indices, inclusive; the graph input starts at -1
	bytes      int
	hasInput   bool
	hasOutput  bool
	offset     int
}

func (b *buffer) overlapsInTime(c *buffer) bool { return b.start <= c.end && c.start <= b.end }

// planMemory groups aliasing values into buffers (Reshape, fused and in-place Relu), assigns the
// graph input and output to the caller's buffers and places every other buffer in the arena.
func planMemory(p *Plan, g *model.Graph) error {
	n := len(g.Nodes)
	def := map[string]int{}
	lastUse := map[string]int{}
	for _, in := range g.Inputs {
		def[in.Name] = -1
		lastUse[in.Name] = -1
	}
	for i, node := range g.Nodes {
		for _, in := range p.layers[i].reads() {
			lastUse[in] = i
		}
		def[node.Outputs[0]] = i
		if _, ok := lastUse[node.Outputs[0]]; !ok {
			lastUse[node.Outputs[0]] = i
		}
	}
	lastUse[p.Output.Name] = n // the caller reads the output after the last node

	// Union-find over value names, applied in node order.
	parent := map[string]string{}
	var find func(string) string
	find = func(v string) string {
		for parent[v] != "" && parent[v] != v {
			v = parent[v]
		}
		return v
	}
	members := map[string][]string{} // root -> values
	addValue := func(v string) {
		parent[v] = v
		members[v] = []string{v}
	}
	union := func(a, b string) { // b's class joins a's
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		parent[rb] = ra
		members[ra] = append(members[ra], members[rb]...)
		delete(members, rb)
	}
	classHas := func(v, name string) bool {
		for _, m := range members[find(v)] {
			if m == name {
				return true
			}
		}
		return false
	}
	classEnd := func(v string) int {
		e := -1
		for _, m := range members[find(v)] {
			e = max(e, lastUse[m])
		}
		return e
	}
	addValue(p.Input.Name)
	virtual := map[string]bool{} // conv outputs computed inside a fused pool: never stored
	for i, ls := range p.layers {
		node := ls.node
		x, y := node.Inputs[0], node.Outputs[0]
		addValue(y)
		switch {
		case ls.intoPool != nil:
			virtual[y] = true
		case node.Op == model.OpReshape && ls.custom == nil: // a requantizing int8 Reshape copies
			if classHas(x, p.Input.Name) && classHas(y, p.Output.Name) {
				ls.copy = true
				ls.plan.Ops = ls.plan.Outputs
			} else {
				ls.alias = true
				ls.plan.Alias = true
				union(x, y)
			}
		case ls.fusedAway:
			union(x, y)
		case (node.Op == model.OpRelu || isActivation(node.Op)) && ls.q8 == nil && !classHas(x, p.Input.Name) && classEnd(x) == i:
			ls.inPlace = true
			ls.plan.InPlace = true
			union(x, y)
		}
	}

	// Build buffers in a deterministic order (by first definition, then name).
	roots := make([]string, 0, len(members))
	for r := range members {
		roots = append(roots, r)
	}
	bufs := make([]*buffer, 0, len(roots))
	for _, r := range roots {
		if classVirtual(members[r], virtual) {
			continue
		}
		vals := append([]string(nil), members[r]...)
		b := &buffer{start: n + 1, end: -2}
		for _, v := range vals {
			b.start = min(b.start, def[v])
			b.end = max(b.end, lastUse[v])
			b.hasInput = b.hasInput || v == p.Input.Name
			b.hasOutput = b.hasOutput || v == p.Output.Name
		}
		sort.Slice(vals, func(i, j int) bool {
			if def[vals[i]] != def[vals[j]] {
				return def[vals[i]] < def[vals[j]]
			}
			return vals[i] < vals[j]
		})
		b.values = vals
		elems, _ := model.NumElements(g.Shapes[vals[0]])
		b.bytes = alignUp(elems*valueBytes(p.q8Values, vals[0]), arenaAlign)
		bufs = append(bufs, b)
	}
	for i, ls := range p.layers {
		if b := recurrentScratchBytes(ls.node); b > 0 && ls.q8 == nil { // int8: q8ScratchBytes
			bufs = append(bufs, &buffer{start: i, end: i, values: []string{scratchName(ls.node)}, bytes: b})
		}
		if b := q8ScratchBytes(ls); b > 0 {
			p.q8Values[q8PatchName(ls.node)] = true
			bufs = append(bufs, &buffer{start: i, end: i, values: []string{q8PatchName(ls.node)}, bytes: alignUp(b, arenaAlign)})
		}
	}
	sort.Slice(bufs, func(i, j int) bool {
		if bufs[i].start != bufs[j].start {
			return bufs[i].start < bufs[j].start
		}
		return bufs[i].values[0] < bufs[j].values[0]
	})
	var arena []*buffer
	for _, b := range bufs {
		switch {
		case b.hasInput && b.hasOutput:
			return fmt.Errorf("codegen: graph %q: internal error: input and output share buffer %v", p.Graph, b.values)
		case b.hasInput:
			setStorage(p, b, storage{buffer: BufferInput})
		case b.hasOutput:
			setStorage(p, b, storage{buffer: BufferOutput})
		default:
			b.id = len(arena)
			arena = append(arena, b)
		}
	}

	p.PeakLiveBytes = peakLive(arena, n)
	p.ArenaBytes, p.ArenaStrategy = placeArena(arena, p.PeakLiveBytes)
	for _, b := range arena {
		setStorage(p, b, storage{buffer: BufferArena, offset: b.offset})
		p.Buffers = append(p.Buffers, BufferPlan{
			Values: b.values, Offset: b.offset, Bytes: b.bytes, FirstNode: b.start, LastNode: b.end,
		})
	}
	for _, ls := range p.layers {
		s, ok := p.storage[ls.node.Outputs[0]]
		if !ok {
			ls.plan.OutBuffer = "none"
			continue
		}
		ls.plan.OutBuffer, ls.plan.OutOffset = s.buffer, s.offset
		if s.buffer == BufferInput && !ls.alias {
			return fmt.Errorf("codegen: node %q: internal error: output %q placed in the read-only input buffer", ls.node.Name, ls.node.Outputs[0])
		}
	}
	return nil
}

// classVirtual reports whether an alias class holds a value that is never stored.
func classVirtual(vals []string, virtual map[string]bool) bool {
	for _, v := range vals {
		if virtual[v] {
			return true
		}
	}
	return false
}

func setStorage(p *Plan, b *buffer, s storage) {
	for _, v := range b.values {
		p.storage[v] = s
	}
}

func alignUp(v, a int) int { return (v + a - 1) / a * a }

// peakLive is the largest sum of bytes of buffers live at one node.
func peakLive(bufs []*buffer, nodes int) int {
	peak := 0
	for i := 0; i < nodes; i++ {
		live := 0
		for _, b := range bufs {
			if b.start <= i && i <= b.end {
				live += b.bytes
			}
		}
		peak = max(peak, live)
	}
	return peak
}

// span is an occupied byte range [off, off+size).
type span struct{ off, size int }

// placeArena tries the placement strategies and keeps the smallest arena (the earliest
// strategy on ties). It sets every buffer's offset and returns the arena size and the winner.
func placeArena(bufs []*buffer, lowerBound int) (int, string) {
	if len(bufs) == 0 {
		return 0, "empty"
	}
	bySize := append([]*buffer(nil), bufs...)
	sort.SliceStable(bySize, func(i, j int) bool { return bySize[i].bytes > bySize[j].bytes })
	type result struct {
		name    string
		offsets []int
		size    int
	}
	var results []result
	if offs, ok := firstFit(bySize, len(bufs)); ok {
		results = append(results, result{"greedy-by-size", offs, arenaSize(bufs, offs)})
	}
	if offs, ok := firstFit(bufs, len(bufs)); ok {
		results = append(results, result{"first-fit-in-order", offs, arenaSize(bufs, offs)})
	}
	if offs, ok := twoSided(bufs, lowerBound); ok {
		results = append(results, result{"two-sided", offs, arenaSize(bufs, offs)})
	}
	best := results[0]
	for _, r := range results[1:] {
		if r.size < best.size {
			best = r
		}
	}
	for _, b := range bufs {
		b.offset = best.offsets[b.id]
	}
	return best.size, best.name
}

func arenaSize(bufs []*buffer, offs []int) int {
	s := 0
	for _, b := range bufs {
		s = max(s, offs[b.id]+b.bytes)
	}
	return s
}

// conflicts returns the spans of already placed buffers whose lifetimes overlap b's.
func conflicts(b *buffer, placed []*buffer, offs []int) []span {
	var out []span
	for _, c := range placed {
		if c.overlapsInTime(b) {
			out = append(out, span{offs[c.id], c.bytes})
		}
	}
	return out
}

func fits(off, size int, taken []span) bool {
	for _, s := range taken {
		if off < s.off+s.size && s.off < off+size {
			return false
		}
	}
	return true
}

// lowestFit is the lowest offset >= 0 where size bytes avoid taken.
func lowestFit(size int, taken []span) int {
	best := -1
	for _, cand := range append([]span{{0, 0}}, taken...) {
		off := cand.off + cand.size
		if (best < 0 || off < best) && fits(off, size, taken) {
			best = off
		}
	}
	return best
}

// highestFit is the highest offset with off+size <= capacity avoiding taken, or -1.
func highestFit(size, capacity int, taken []span) int {
	best := -1
	for _, cand := range append([]span{{capacity, 0}}, taken...) {
		off := cand.off - size
		if off >= 0 && off > best && fits(off, size, taken) {
			best = off
		}
	}
	return best
}

// firstFit places buffers in the given order at the lowest offset that avoids every placed
// buffer with an overlapping lifetime.
func firstFit(order []*buffer, n int) ([]int, bool) {
	offs := make([]int, n)
	var placed []*buffer
	for _, b := range order {
		offs[b.id] = lowestFit(b.bytes, conflicts(b, placed, offs))
		placed = append(placed, b)
	}
	return offs, true
}

// twoSided places buffers in definition order within capacity bytes, each against the end of
// the arena opposite to its latest-defined placed neighbour (in time), falling back to the other
// end. It fails when a buffer fits at neither end.
func twoSided(order []*buffer, capacity int) ([]int, bool) {
	offs := make([]int, len(order))
	top := make([]bool, len(order))
	var placed []*buffer
	for _, b := range order {
		preferTop := false
		var latest *buffer
		for _, c := range placed {
			if c.overlapsInTime(b) && (latest == nil || c.start >= latest.start) {
				latest = c
			}
		}
		if latest != nil {
			preferTop = !top[latest.id]
		}
		taken := conflicts(b, placed, offs)
		off, onTop := -1, false
		for _, tryTop := range []bool{preferTop, !preferTop} {
			if tryTop {
				off = highestFit(b.bytes, capacity, taken)
			} else if o := lowestFit(b.bytes, taken); o+b.bytes <= capacity {
				off = o
			}
			if off >= 0 {
				onTop = tryTop
				break
			}
		}
		if off < 0 {
			return nil, false
		}
		offs[b.id], top[b.id] = off, onTop
		placed = append(placed, b)
	}
	return offs, true
}
