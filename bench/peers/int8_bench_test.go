package peers

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/dataset"
	"github.com/tcdse/tcdse/explore"
	"github.com/tcdse/tcdse/model"
)

// quantizeReference quantizes a float reference model with explore.Quantize, calibrated on its
// reference input plus 31 Gaussian samples of the same standard deviation (seeded).
func quantizeReference(g *model.Graph, in *model.Tensor, perTensor bool) (*model.Graph, error) {
	per := len(in.Data)
	x := model.NewTensor(append([]int{32}, in.Shape[1:]...)...)
	copy(x.Data, in.Data[:per])
	var ss float64
	for _, v := range in.Data[:per] {
		ss += float64(v) * float64(v)
	}
	std := max(1e-3, (ss / float64(per)))
	rng := rand.New(rand.NewSource(1))
	for i := per; i < len(x.Data); i++ {
		x.Data[i] = float32(rng.NormFloat64() * std)
	}
	return explore.Quantize(g, &dataset.Dataset{Name: g.Name + " calibration", X: x}, explore.QuantizeOptions{PerTensor: perTensor})
}

// BenchmarkPeersInt8 prints tcdse's int8 figures on ae_mlp and lenet5 next to the best int8
// peer of PEERS.md, and 80% magnitude-pruned int8 against tcdse's own dense int8. Run once:
// go test -run '^$' -bench PeersInt8 -benchtime 1x ./bench/peers/
func BenchmarkPeersInt8(b *testing.B) {
	requireTools(b)
	dir := modelsDir(b)
	type int8Row struct {
		model, variant string
		plan           *codegen.Plan
		m              *Measurement
	}
	var rows []int8Row
	var notes []string
	for _, name := range []string{"ae_mlp", "lenet5"} {
		g, tv, _, err := loadReference(dir, name)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: not measured: %v", name, err))
			continue
		}
		for _, v := range []struct {
			variant   string
			prune     float64
			perTensor bool
			format    string
		}{
			{"int8 per-tensor", 0, true, codegen.FormatDense},
			{"int8 per-channel", 0, false, codegen.FormatDense},
			{"int8 80% sparse auto", 0.8, true, codegen.FormatAuto},
			{"int8 80% sparse csr", 0.8, true, codegen.FormatCSR},
			{"int8 80% sparse rcsr8", 0.8, true, codegen.FormatRCSR8},
			{"int8 80% sparse rcsr4", 0.8, true, codegen.FormatRCSR4},
			{"int8 80% sparse sparse8", 0.8, true, codegen.FormatSparse8},
		} {
			src := g
			if v.prune > 0 {
				src = pruneMagnitude(g, v.prune)
			}
			q, err := quantizeReference(src, tv.Inputs, v.perTensor)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s %s: quantization failed: %v", name, v.variant, err))
				continue
			}
			qtv, err := interpreterVectors(q, tv.Inputs)
			if err != nil {
				b.Fatal(err)
			}
			opts := codegen.Options{Format: v.format}
			if v.format != codegen.FormatAuto && v.prune > 0 {
				opts.Format = codegen.FormatAuto // convolutions stay dense; Dense layers take the format
				opts.LayerFormats = map[string]string{}
				for _, n := range q.Nodes {
					if n.Op == model.OpDense && n.QWeight != nil {
						opts.LayerFormats[n.Name] = v.format
					}
				}
			}
			p, m := measure(b, q, qtv, opts)
			if !strings.Contains(m.Harness, `"mismatches":0`) {
				b.Errorf("%s %s: int8 C is not bit-exact with the interpreter: %s", name, v.variant, m.Harness)
			}
			rows = append(rows, int8Row{name, v.variant, p, m})
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\ntcdse int8 generated C vs peers (%s)\n", Int8PeersSource)
	fmt.Fprintf(&sb, "%-7s %-24s %10s %10s %6s | %7s %6s | %8s %8s | %6s %6s | %7s %7s\n",
		"model", "variant", "Ir/inf", "peer Ir", "ratio", "code B", "peer", "weight B", "peer", "arena", "peer", "ROM/d8", "Ir/d8")
	dense := map[string]*Measurement{}
	for _, r := range rows {
		if r.variant == "int8 per-tensor" {
			dense[r.model] = r.m
		}
	}
	for _, r := range rows {
		peer, _ := BestInt8Peer(r.model)
		romRatio, irRatio := "-", "-"
		if d := dense[r.model]; d != nil {
			romRatio = ratio(int64(r.m.WeightBytes+r.m.CodeBytes+r.m.TableBytes), int64(d.WeightBytes+d.CodeBytes+d.TableBytes))
			irRatio = ratio(r.m.IrPerInference, d.IrPerInference)
		}
		fmt.Fprintf(&sb, "%-7s %-24s %10d %10d %6s | %7d %6d | %8d %8d | %6d %6d | %7s %7s\n",
			r.model, r.variant, r.m.IrPerInference, peer.Ir, ratio(r.m.IrPerInference, int64(peer.Ir)),
			r.m.CodeBytes, peer.CodeBytes, r.m.WeightBytes, peer.WeightBytes, r.plan.ArenaBytes, peer.RAMBytes, romRatio, irRatio)
	}
	fmt.Fprintf(&sb, "peer: NNoM on ae_mlp, TFLite Micro + CMSIS-NN on lenet5; ROM/d8 and Ir/d8: against tcdse's dense per-tensor int8 (ROM = weights + code + tables)\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "%s %s: MACs %d effective %d, weight bytes (plan) %d, harness %s\n", r.model, r.variant, r.plan.MACs, r.plan.EffectiveMACs, r.plan.WeightBytes, r.m.Harness)
	}
	for _, n := range notes {
		fmt.Fprintln(&sb, n)
	}
	fmt.Print(sb.String())
	for i := 0; i < b.N; i++ {
		_ = i
	}
}
