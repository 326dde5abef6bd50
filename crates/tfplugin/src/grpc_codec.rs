//! The gRPC message codec of every service (`build.rs` names it): tonic-prost's, except that
//! an answer's buffer is reserved at its encoded length before encoding. tonic starts it at
//! 8 KiB and lets it grow by doubling, which for a state of tens of MB copies it repeatedly and
//! faults in about twice its size in fresh pages. Every RPC of the end-to-end tests goes through
//! it (tonic's buffers cannot be built outside tonic, so it has no unit test).

use std::marker::PhantomData;
use tonic::codec::{Codec, EncodeBuf, Encoder};
use tonic::Status;
use tonic_prost::ProstDecoder;

pub struct SizedProstCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for SizedProstCodec<T, U> {
    fn default() -> Self {
        SizedProstCodec(PhantomData)
    }
}

impl<T, U> Codec for SizedProstCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = SizedProstEncoder<T>;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        SizedProstEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

pub struct SizedProstEncoder<T>(PhantomData<T>);

impl<T: prost::Message> Encoder for SizedProstEncoder<T> {
    type Item = T;
    type Error = Status;

    fn encode(&mut self, item: T, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.reserve(item.encoded_len());
        item.encode(buf)
            .map_err(|err| Status::internal(format!("encoding the answer failed: {err}")))
    }
}
