/*
 * bcryptprimitives.dll for Wine 8.0, which lacks ProcessPrng: since Go 1.22
 * the Windows runtime of every Go program loads it at start. This stand-in
 * fills the buffer from RtlGenRandom (SystemFunction036 in advapi32), as
 * Windows' own ProcessPrng does from the system's random source. Test
 * tooling only: it is built by internal/wine and never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG chunk = size > 0x7fffffff ? 0x7fffffff : (ULONG)size;
		if (!SystemFunction036(data, chunk))
			return FALSE;
		data += chunk;
		size -= chunk;
	}
	return TRUE;
}
