/* The part of macOS's <CommonCrypto/CommonRandom.h> that mimalloc uses (CCRandomGenerateBytes,
 * exported by libSystem since macOS 10.10), for cross builds without the macOS SDK headers. */
#ifndef KAFKAMIRROR_COMMONRANDOM_H
#define KAFKAMIRROR_COMMONRANDOM_H
#include <stddef.h>
#include <CommonCrypto/CommonCryptoError.h>
typedef CCCryptorStatus CCRNGStatus;
CCRNGStatus CCRandomGenerateBytes(void *bytes, size_t count);
#endif
