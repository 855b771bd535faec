package store

import (
	"path/filepath"
	"strings"
	"testing"
)

type evalResult struct {
	Accuracy float64 `json:"accuracy"`
	FlashB   int     `json:"flash_bytes"`
	Layers   []string
}

func TestEvalCacheRoundTripAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.db")
	c, err := OpenEvalCache(path)
	if err != nil {
		t.Fatal(err)
	}
	var got evalResult
	found, err := c.Get("cand-1", &got)
	if err != nil || found {
		t.Fatalf("Get on empty cache: found=%v err=%v, want not found, nil", found, err)
	}
	want := evalResult{Accuracy: 0.9375, FlashB: 12345, Layers: []string{"conv1", "fc"}}
	if err := c.Put("cand-1", want); err != nil {
		t.Fatal(err)
	}
	if err := c.Put("cand-2", evalResult{Accuracy: 0.5}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c, err = OpenEvalCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	found, err = c.Get("cand-1", &got)
	if err != nil || !found {
		t.Fatalf("Get after reopen: found=%v err=%v", found, err)
	}
	if got.Accuracy != want.Accuracy || got.FlashB != want.FlashB || strings.Join(got.Layers, ",") != "conv1,fc" {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}
	var other evalResult
	if found, err := c.Get("cand-2", &other); err != nil || !found || other.Accuracy != 0.5 {
		t.Fatalf("Get cand-2 = %+v found=%v err=%v", other, found, err)
	}
	// Put replaces.
	if err := c.Put("cand-2", evalResult{Accuracy: 0.75}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get("cand-2", &other); err != nil || other.Accuracy != 0.75 {
		t.Fatalf("after replace Get cand-2 = %+v err=%v", other, err)
	}
}

func TestEvalCacheErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.db")
	c, err := OpenEvalCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Put("", 1); err == nil {
		t.Error("Put with empty id: want error")
	}
	if err := c.Put("bad", func() {}); err == nil {
		t.Error("Put of unencodable value: want error")
	}
	if err := c.Put("num", 3); err != nil {
		t.Fatal(err)
	}
	var s struct{ A string }
	found, err := c.Get("num", &s)
	if !found || err == nil || !strings.Contains(err.Error(), `"num"`) {
		t.Errorf("Get into wrong type: found=%v err=%v, want found and an error naming the id", found, err)
	}
}

func TestEvalCacheSecondOpenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.db")
	c, err := OpenEvalCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// bbolt uses flock, which conflicts between separate opens even in one process.
	c2, err := OpenEvalCache(path)
	if err == nil {
		c2.Close()
		t.Fatal("second open of a locked cache succeeded, want timeout error")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second open error = %q, want it to name %s and say it is locked", err, path)
	}
}
