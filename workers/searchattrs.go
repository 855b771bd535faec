package workers

import (
	"context"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/tcdse/tcdse/workflows"
)

// MissingSearchAttributes returns the tcdse search attributes (workflows.SearchAttributes) the
// namespace does not have, sorted; an attribute registered with another type is an error.
func MissingSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("listing the search attributes of namespace %q: %w", namespace, err)
	}
	var missing []string
	for name, want := range workflows.SearchAttributes {
		got, ok := resp.CustomAttributes[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case got != want:
			return nil, fmt.Errorf("namespace %q has search attribute %s as %s; tcdse needs %s", namespace, name, got, want)
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// RegisterSearchAttributes adds the tcdse search attributes the namespace lacks (what `tcdse
// up` does; on another cluster an operator runs the `temporal operator search-attribute
// create` commands of docs/campaigns.md).
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	missing, err := MissingSearchAttributes(ctx, c, namespace)
	if err != nil || len(missing) == 0 {
		return err
	}
	req := &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: map[string]enumspb.IndexedValueType{}}
	for _, name := range missing {
		req.SearchAttributes[name] = workflows.SearchAttributes[name]
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, req); err != nil {
		return fmt.Errorf("registering search attributes %v in namespace %q: %w", missing, namespace, err)
	}
	return nil
}
