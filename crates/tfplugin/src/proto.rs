//! Generated protobuf/gRPC code for `proto/` (Terraform protocol 6, gRPC health, go-plugin).

#![allow(clippy::all, dead_code, missing_docs)]

pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

pub mod health {
    tonic::include_proto!("grpc.health.v1");
}

pub mod go_plugin {
    tonic::include_proto!("plugin");
}
