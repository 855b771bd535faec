package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tcdse/tcdse/pareto"
)

// CampaignSummaryInput asks for a campaign run's morning summary.
type CampaignSummaryInput struct {
	OutDir   string                `json:"out_dir"`
	Campaign string                `json:"campaign"`
	Run      string                `json:"run"`
	Outcomes []pareto.SweepOutcome `json:"outcomes"`
	// Ended is why the campaign ended early (budget, deadline, stopped), or empty.
	Ended string `json:"ended,omitempty"`
}

// CampaignSummaryResult is the summary and the files it was written to.
type CampaignSummaryResult struct {
	Summary pareto.Summary `json:"summary"`
	Files   []string       `json:"files"`
}

// Files of a campaign's out directory.
const (
	SummaryJSON         = "summary.json"          // the latest run's summary
	SummaryText         = "summary.txt"           // the same, as the terminal shows it
	PreviousSummaryJSON = "summary-previous.json" // the run before it, which the changes compare with
)

// WriteCampaignSummary builds the morning summary of a campaign run, compares it with the
// previous run's (the summary.json already in OutDir), and writes summary.json, summary.txt and
// summary-previous.json. A retry of the same run compares with the same previous run.
func (a *Activities) WriteCampaignSummary(ctx context.Context, in CampaignSummaryInput) (CampaignSummaryResult, error) {
	if err := os.MkdirAll(in.OutDir, 0o755); err != nil {
		return CampaignSummaryResult{}, err
	}
	s := pareto.Summarize(in.Campaign, in.Run, in.Outcomes)
	if in.Ended != "" {
		s.Partial, s.Reason = true, in.Ended
	}
	latest, prevPath := filepath.Join(in.OutDir, SummaryJSON), filepath.Join(in.OutDir, PreviousSummaryJSON)
	prev, found, err := readSummary(latest)
	if err != nil {
		return CampaignSummaryResult{}, err
	}
	if found && prev.Run == in.Run { // a retry: the previous run is the one saved before
		prev, found, err = readSummary(prevPath)
		if err != nil {
			return CampaignSummaryResult{}, err
		}
	} else if found {
		if err := writeSummary(prevPath, prev, pareto.WriteSummaryJSON); err != nil {
			return CampaignSummaryResult{}, err
		}
	}
	if found {
		s.CompareWith(prev)
	}
	files := []string{latest, filepath.Join(in.OutDir, SummaryText)}
	if err := writeSummary(files[0], s, pareto.WriteSummaryJSON); err != nil {
		return CampaignSummaryResult{}, err
	}
	if err := writeSummary(files[1], s, pareto.WriteSummaryText); err != nil {
		return CampaignSummaryResult{}, err
	}
	return CampaignSummaryResult{Summary: s, Files: files}, nil
}

// readSummary reads a summary file; a missing file is not an error.
func readSummary(path string) (pareto.Summary, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pareto.Summary{}, false, nil
	} else if err != nil {
		return pareto.Summary{}, false, err
	}
	defer f.Close()
	s, err := pareto.ReadSummaryJSON(f)
	if err != nil {
		return pareto.Summary{}, false, badInput("BadSummary", fmt.Errorf("%s: %w", path, err))
	}
	return s, true, nil
}

// writeSummary writes a summary atomically (a temporary file renamed over path).
func writeSummary(path string, s pareto.Summary, write func(io.Writer, pareto.Summary) error) error {
	var b bytes.Buffer
	if err := write(&b, s); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
