/* The part of macOS's <CommonCrypto/CommonCryptoError.h> that mimalloc uses (its status type and
 * kCCSuccess), for cross builds whose C toolchain (zig) ships libSystem's symbols but not the
 * CommonCrypto headers. Declarations only: the function lives in libSystem on every macOS. */
#ifndef KAFKAMIRROR_COMMONCRYPTOERROR_H
#define KAFKAMIRROR_COMMONCRYPTOERROR_H
#include <stdint.h>
typedef int32_t CCStatus;
typedef int32_t CCCryptorStatus;
enum { kCCSuccess = 0 };
#endif
