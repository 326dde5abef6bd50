/* Stand-in for Windows' bcryptprimitives.dll inside the release check's wine prefix only:
 * Wine 8 (Debian 12) has no bcryptprimitives.dll, and Rust's standard library takes its
 * randomness from ProcessPrng there (every Windows 10 and later ships it). This forwards to
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Never part of a release zip. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
