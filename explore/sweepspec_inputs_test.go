package explore

import (
	"errors"
	"strings"
	"testing"

	"github.com/tcdse/tcdse/dataset"
)

func TestMapInputsVisitsEveryFileAndCopies(t *testing.T) {
	train := &dataset.Spec{Format: "npz", Path: "train.npz"}
	s := SweepSpec{
		Model: "m.onnx", Data: dataset.Spec{Images: "i.gz", Labels: "l.gz"}, CostModel: "cm.json",
		FineTune: &FineTuneSpec{Train: train},
	}
	var seen []string
	out, err := s.MapInputs(func(field, name string) (string, error) {
		seen = append(seen, field+"="+name)
		return "ref:" + name, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "model=m.onnx data.images=i.gz data.labels=l.gz cost_model=cm.json finetune.train.path=train.npz"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("visited %s\nwant    %s", got, want)
	}
	if out.Model != "ref:m.onnx" || out.FineTune.Train.Path != "ref:train.npz" || out.CostModel != "ref:cm.json" {
		t.Errorf("mapped spec %+v", out)
	}
	if train.Path != "train.npz" || s.Model != "m.onnx" {
		t.Errorf("the original spec was changed: train %q model %q", train.Path, s.Model)
	}
	_, err = s.MapInputs(func(field, name string) (string, error) {
		if field == "data.labels" {
			return "", errors.New("refused")
		}
		return name, nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "data.labels: refused") {
		t.Errorf("error %v, want it prefixed with the field", err)
	}
}

func TestMapInputsLeavesAFarmCostModelAlone(t *testing.T) {
	s := SweepSpec{Model: "m.onnx", CostModel: FarmCostModelPrefix + "tc387-sim"}
	var seen []string
	out, err := s.MapInputs(func(field, name string) (string, error) {
		seen = append(seen, field)
		return "artifact://x/" + name, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.CostModel != "farm:tc387-sim" || len(seen) != 1 || seen[0] != "model" {
		t.Fatalf("cost_model %q, fields visited %v: farm:CLASS names no file", out.CostModel, seen)
	}
}
