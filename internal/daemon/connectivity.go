package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/kafkalink/kafkalink/internal/msk"
)

// The connectivity realizer: UpdateConnectivity leaves a cluster UPDATING
// (msk.OperationUpdateConnectivity) and the daemon brings it back to
// ACTIVE once the change is in effect, as MSK does. Nothing needs opening
// or closing for it today: VPC connection endpoints are realized one by
// one (realizeVpcConnections), and bootstrap strings follow the cluster's
// record. Clusters UPDATING for UpdateSecurity are the provisioner's.

// followConnectivity finishes every connectivity change the cluster
// records hold, as soon as the store shows it; after an error it tries
// again a second later.
func (d *Daemon) followConnectivity(ctx context.Context) {
	d.follow(ctx, d.msk.ClusterPrefix(), func() {
		for {
			err := d.realizeConnectivity(ctx)
			if err == nil || ctx.Err() != nil {
				return
			}
			d.log.Warn("cannot realize cluster connectivity; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
}

// realizeConnectivity marks ACTIVE again every cluster UPDATING for a
// connectivity change.
func (d *Daemon) realizeConnectivity(ctx context.Context) error {
	pending, err := d.msk.PendingConnectivity(ctx)
	if err != nil {
		return fmt.Errorf("list connectivity changes: %w", err)
	}
	for _, c := range pending {
		done, err := d.msk.ConnectivityRealized(ctx, c.Identity.ARN(), c.CurrentVersion)
		if err != nil {
			return fmt.Errorf("cluster %s: record its connectivity change: %w", c.Identity.Name, err)
		}
		if done {
			d.log.Info("cluster connectivity updated", "cluster", c.Identity.Name, "version", c.CurrentVersion, "vpc_connectivity", schemesOn(c.VpcConnectivity))
		}
	}
	return nil
}

// schemesOn lists the schemes turned on, in MSK's order.
func schemesOn(on map[msk.Scheme]bool) []string {
	out := []string{}
	for _, sc := range msk.Schemes {
		if on[sc] {
			out = append(out, string(sc))
		}
	}
	return out
}
