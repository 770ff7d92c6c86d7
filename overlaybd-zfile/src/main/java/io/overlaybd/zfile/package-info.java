/**
 * ZFile, the seekable block-compressed file of OverlayBD (FORMAT.md §1): {@link io.overlaybd.zfile.ZFileDevice}
 * reads one as a {@link io.overlaybd.core.RandomAccessBlockDevice}, {@link io.overlaybd.zfile.ZFileWriter} writes
 * one, {@link io.overlaybd.zfile.ZFileHeader} decodes the header and trailer blocks.
 *
 * <h2>Layout</h2>
 * <pre>
 * header(512) | dictionary(dict_size, always 0) | block 0 … block n−1 | jump table (n × u32) | trailer(512)
 * </pre>
 * No padding anywhere. Block {@code i} holds {@code block_size} bytes of content (the last one the remainder),
 * compressed with LZ4 (raw block) or zstd (one frame), followed by its crcSalt (raw CRC32C seeded 100007, u32) when
 * {@code verify} = 1. Jump-table entry {@code i} is block {@code i}'s stored length, CRC included; block {@code i}
 * starts at {@code 512 + dict_size + Σ len[<i]}.
 *
 * <h2>Header and trailer block (512 bytes, little-endian)</h2>
 * <table>
 * <caption>ZFile header / trailer fields (FORMAT.md §1.2)</caption>
 * <tr><th>Offset</th><th>Size</th><th>Field</th><th>Rules</th></tr>
 * <tr><td>0</td><td>8</td><td>magic0</td><td>{@code 5A 46 69 6C 65 00 01 00} ("ZFile\0\1\0")</td></tr>
 * <tr><td>8</td><td>16</td><td>magic1</td><td>"tuji.yyf@Alibaba"</td></tr>
 * <tr><td>24</td><td>4</td><td>size</td><td>96; ignored by readers</td></tr>
 * <tr><td>28</td><td>4</td><td>digest</td><td>crc0 of all 512 bytes with this field zeroed; valid iff flag bit 4</td></tr>
 * <tr><td>32</td><td>8</td><td>flags</td><td>bit 0 header, 1 data file, 2 sealed, 3 header overwritten (holds the
 *     final metadata), 4 digest and index_crc valid; bits 5..63 ignored. Written: streamed header 0x13, trailer
 *     0x16, rewritten header 0x1B</td></tr>
 * <tr><td>40</td><td>8</td><td>index_offset</td><td>byte offset of the jump table</td></tr>
 * <tr><td>48</td><td>8</td><td>index_size</td><td>number of entries = number of blocks (≤ 1e9)</td></tr>
 * <tr><td>56</td><td>8</td><td>original_file_size</td><td>uncompressed size</td></tr>
 * <tr><td>64</td><td>4</td><td>index_crc</td><td>crc0 of the stored table; valid iff flag bit 4</td></tr>
 * <tr><td>68</td><td>4</td><td>reserved_0</td><td>0</td></tr>
 * <tr><td>72</td><td>4</td><td>block_size</td><td>power of two ≤ 65536 (writers: 4 KiB..64 KiB)</td></tr>
 * <tr><td>76</td><td>1</td><td>algo</td><td>1 = LZ4, 2 = zstd</td></tr>
 * <tr><td>77</td><td>1</td><td>level</td><td>0; ignored</td></tr>
 * <tr><td>78</td><td>1</td><td>use_dict</td><td>0 (readers reject others)</td></tr>
 * <tr><td>79</td><td>1</td><td>pad</td><td>0</td></tr>
 * <tr><td>80</td><td>4</td><td>reserved</td><td>0</td></tr>
 * <tr><td>84</td><td>4</td><td>dict_size</td><td>0</td></tr>
 * <tr><td>88</td><td>1</td><td>verify</td><td>1 = per-block crcSalt present</td></tr>
 * <tr><td>89</td><td>423</td><td>unused</td><td>zero when written; covered by the digest</td></tr>
 * </table>
 *
 * <p>Raw CRC32C (FORMAT.md §0): Castagnoli, reflected, from a seed, no inversion; crc0 = seed 0, crcSalt = seed
 * 100007. A tar-wrapped ZFile (FORMAT.md §6) is read by slicing the tar member's payload first
 * ({@link io.overlaybd.core.TarFormat#firstFile}).
 */
package io.overlaybd.zfile;
