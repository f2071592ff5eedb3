package platform

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qbconnect/qbconnect/store"
)

// dispatchCollector reports the counters of the store's dispatcher (what
// this process answered from memory instead of the database) at scrape
// time. The store imports no metrics library; its Stats are read here.
type dispatchCollector struct{ d *store.Dispatcher }

var (
	dispatchConnectorsDesc = prometheus.NewDesc("qbconnect_dispatch_connectors",
		"Connectors whose work state this process keeps in memory.", nil, nil)
	dispatchClaimsDesc = prometheus.NewDesc("qbconnect_dispatch_claims_total",
		"Connector claims for work, by source: memory (answered \"no work\" without a query) or database (queried).", []string{"source"}, nil)
	dispatchCredentialHitsDesc = prometheus.NewDesc("qbconnect_dispatch_credential_cache_hits_total",
		"Connector authentications answered from the credential cache.", nil, nil)
	dispatchConnectionHitsDesc = prometheus.NewDesc("qbconnect_dispatch_connection_cache_hits_total",
		"Reads of a connector's connections answered from memory.", nil, nil)
	dispatchCredentialsDesc = prometheus.NewDesc("qbconnect_dispatch_cached_credentials",
		"Connector credentials held in the credential cache now.", nil, nil)
)

func (c dispatchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dispatchConnectorsDesc
	ch <- dispatchClaimsDesc
	ch <- dispatchCredentialHitsDesc
	ch <- dispatchConnectionHitsDesc
	ch <- dispatchCredentialsDesc
}

func (c dispatchCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.Stats()
	ch <- prometheus.MustNewConstMetric(dispatchConnectorsDesc, prometheus.GaugeValue, float64(s.Connectors))
	ch <- prometheus.MustNewConstMetric(dispatchClaimsDesc, prometheus.CounterValue, float64(s.ClaimsSkipped), "memory")
	ch <- prometheus.MustNewConstMetric(dispatchClaimsDesc, prometheus.CounterValue, float64(s.ClaimsRun), "database")
	ch <- prometheus.MustNewConstMetric(dispatchCredentialHitsDesc, prometheus.CounterValue, float64(s.CredentialHits))
	ch <- prometheus.MustNewConstMetric(dispatchConnectionHitsDesc, prometheus.CounterValue, float64(s.ConnectionsHits))
	ch <- prometheus.MustNewConstMetric(dispatchCredentialsDesc, prometheus.GaugeValue, float64(s.CachedCredentials))
}
