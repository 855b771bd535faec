package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/tcdse/tcdse/codegen"
	"github.com/tcdse/tcdse/model"
)

// exportFlags are the options of `tcdse export`.
type exportFlags struct {
	point, front, label string
	out                 string
	force               bool
}

func newExportCmd(_ *globalFlags) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export [MODEL] --out FILE.onnx [--point OUT/points/LABEL | --front FRONT.json --label LABEL] [--force]",
		Short: "Export a model or a design point of a sweep to ONNX",
		Long: fmt.Sprintf(`export writes MODEL (any file the model package loads: ONNX, TFLite, or the tcdse IR,
such as a fine-tuned or structured-pruned candidate) as an ONNX model (opset %d) that
PyTorch, ONNX Runtime and the other ONNX tools read. With --point (a directory
OUT/points/LABEL a sweep wrote) the point's own model in it is exported and MODEL may be left
out; with --front and --label, MODEL is pruned with that point's rates, as generate does. Pruned weights are written as
zeros, so the masks survive. The written file is imported again and run on a seeded random
input; a difference from the model is reported as a warning. int8 models are refused with
an error naming their int8 nodes. An existing FILE is refused unless --force.`, model.ONNXExportOpset),
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, firstArg(args), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.point, "point", "", "a design point directory OUT/points/LABEL written by a sweep")
	fl.StringVar(&f.front, "front", "", "front.json of a sweep (with --label)")
	fl.StringVar(&f.label, "label", "", "the label of the design point in --front")
	fl.StringVar(&f.out, "out", "", "the ONNX file to write (required)")
	fl.BoolVar(&f.force, "force", false, "overwrite an existing --out file")
	return cmd
}

func runExport(cmd *cobra.Command, modelPath string, f *exportFlags) error {
	if f.out == "" {
		return errors.New("export: --out is required")
	}
	src, err := newCandidateSource(modelPath, f.point, f.front, f.label)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := os.Stat(f.out); err == nil && !f.force {
		return fmt.Errorf("export: %s exists; pass --force to overwrite it", f.out)
	}
	g, err := src.load(cmd, "export")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	data, err := g.EncodeONNX()
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := exportCheck(g, data); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "export: warning: %v\n", err)
	}
	if err := exportWrite(f.out, data, f.force); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	params, zeros := 0, 0
	for _, n := range g.Nodes {
		for _, t := range []*model.Tensor{n.Weight, n.Recurrent} {
			if t != nil {
				params += t.Len()
				zeros += t.CountZeros()
			}
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d bytes, ONNX opset %d, %d nodes, %d weights of which %d zero\n",
		f.out, len(data), model.ONNXExportOpset, len(g.Nodes), params, zeros)
	return nil
}

// exportCheck imports the exported model again and compares its outputs with g's on four
// seeded standard-normal samples; it returns an error describing the first difference.
func exportCheck(g *model.Graph, data []byte) error {
	back, err := model.Load(data)
	if err != nil {
		return fmt.Errorf("the exported model does not import again: %w", err)
	}
	tv, err := codegen.RandomVectors(g, 4, 1)
	if err != nil {
		return fmt.Errorf("checking the exported model: %w", err)
	}
	outs, err := back.Run(tv.Inputs)
	if err != nil {
		return fmt.Errorf("the exported model does not run after import: %w", err)
	}
	for i, v := range tv.Outputs.Data {
		if got := outs[0].Data[i]; math.Float32bits(got) != math.Float32bits(v) {
			return fmt.Errorf("the exported model computes %v where the model computes %v (first output, element %d)", got, v, i)
		}
	}
	return nil
}

// exportWrite writes data to path through a temporary file in the same directory, so that a
// failed export leaves no partial file. Without force an existing path is an error.
func exportWrite(path string, data []byte, force bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if force {
		return os.Rename(tmp.Name(), path)
	}
	// Link fails if path exists, so a file created since the check is not overwritten.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; pass --force to overwrite it", path)
		}
		return err
	}
	return nil
}
