//! Typed values for the goharbor/harbor Helm chart, Kubernetes manifests, helm and AKS.
