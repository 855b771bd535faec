package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The custom search attributes tcdse's workflows keep up to date, so that sweeps and campaigns
// can be found by what they explore (temporal workflow list --query 'TcdseTarget = "tc387:cpu2"').
// `tcdse up` registers them; docs/campaigns.md shows how on an existing cluster.
var (
	// AttrModel is the sweep's model name (the spec's name).
	AttrModel = temporal.NewSearchAttributeKeyKeyword("TcdseModel")
	// AttrTarget lists every target the workflow explores.
	AttrTarget = temporal.NewSearchAttributeKeyKeywordList("TcdseTarget")
	// AttrCampaign is the campaign's name, on the campaign and on each of its sweeps.
	AttrCampaign = temporal.NewSearchAttributeKeyKeyword("TcdseCampaign")
	// AttrPhase is the sweep's current phase (import, sensitivity, gwp, ..., done).
	AttrPhase = temporal.NewSearchAttributeKeyKeyword("TcdsePhase")
	// AttrBestQuality is the best quality on the sweep's front, once it has one.
	AttrBestQuality = temporal.NewSearchAttributeKeyFloat64("TcdseBestQuality")
	// AttrFits says whether the front has a point that fits (every target of the sweep).
	AttrFits = temporal.NewSearchAttributeKeyBool("TcdseFits")
)

// SearchAttributes are the names and types of tcdse's custom search attributes.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	AttrModel.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrTarget.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	AttrCampaign.GetName():    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrPhase.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	AttrBestQuality.GetName(): enumspb.INDEXED_VALUE_TYPE_DOUBLE,
	AttrFits.GetName():        enumspb.INDEXED_VALUE_TYPE_BOOL,
}

// attrsEnabled says whether this workflow keeps tcdse's search attributes: only when it was
// started with one of them set, which proves the namespace has them registered (upserting an
// unregistered attribute would fail every workflow task). tcdse's clients set them whenever
// the namespace knows them.
func attrsEnabled(ctx workflow.Context) bool {
	sa := workflow.GetTypedSearchAttributes(ctx)
	return sa.ContainsKey(AttrModel) || sa.ContainsKey(AttrCampaign) || sa.ContainsKey(AttrTarget)
}

// upsertAttrs sets search attributes when attrsEnabled; failures are logged, never fatal.
func upsertAttrs(ctx workflow.Context, updates ...temporal.SearchAttributeUpdate) {
	if !attrsEnabled(ctx) || len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		workflow.GetLogger(ctx).Warn("upserting search attributes", "error", err)
	}
}
