//! Compiles the Terraform plugin protocol 6 and go-plugin service definitions in `proto/` with
//! the vendored `protoc`, so building needs no system protobuf compiler.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    tonic_prost_build::configure()
        .build_client(false)
        // States (tens of MB for large flows) as `Bytes`: slices of the received message
        // instead of copies.
        .bytes(".tfplugin6.DynamicValue")
        .bytes(".tfplugin6.RawState")
        // Answers are encoded into a buffer sized up front (src/grpc_codec.rs).
        .codec_path("crate::grpc_codec::SizedProstCodec")
        .compile_with_config(
            config,
            &[
                "proto/tfplugin6.proto",
                "proto/grpc_health_v1.proto",
                "proto/go_plugin.proto",
            ],
            &["proto"],
        )?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
