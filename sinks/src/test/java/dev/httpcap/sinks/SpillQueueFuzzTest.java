package dev.httpcap.sinks;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Writes records through the spill — of every length from 1 past the reader's 1 MiB buffer (an empty
 * one is refused), with
 * flushes, reads into copies and into views, read-ahead, commits, rewinds, seeks and reopenings —
 * then damages what it left on disk: segments cut anywhere, bytes flipped in their headers, record
 * lengths, checksums and payloads, garbage appended, segments deleted, empty and bogus files under
 * segment names, files the spill does not own, the position and id files damaged. Then it opens the
 * directory again and reads it to the end, committing as it goes, and checks that opening does not
 * throw, that reading ends, that it delivers exactly what it must, byte for byte, and that damage
 * to records not yet delivered is reported.
 * <p>
 * What it must deliver, from {@link SpillReader}: segments are read in id order, each from the
 * checkpoint's offset if it is the checkpoint's segment, else from its header; a record is
 * delivered only whole and with its CRC-32C matching, and the first that is not ends its segment.
 * So reading delivers, in order, each segment's records from that start up to its first damaged
 * byte — a subsequence of the records written after the committed position (of all those still on
 * disk if the position file itself was damaged: every segment is then read from its start) — and
 * then every record written after the reopening. A segment whose magic is gone, or that holds
 * anything past its last intact record, is reported. What cannot be reported is a segment deleted
 * or cut exactly at a record boundary: the format has no end marker, so it looks like one that
 * ended there.
 * <p>
 * The bytes of records and garbage come from a PRNG seeded by the input, never from the input: the
 * fuzzer follows comparisons, and handed the bytes it would soon write a checksum that matches — a
 * forged record, which no checksum tells from a written one.
 * <p>
 * What fuzzing found is in {@link SpillQueueTest}, a test each; the runs make the same damage, but for
 * segment names past the ids a position holds (2^31) and names in digits other than ASCII. A segment
 * cut short of the position must be reported when records after the position are lost, and may be
 * when none followed it (the reader cannot tell).
 * <p>
 * {@code mvn test} replays saved inputs and runs the random-driven variant;
 * {@code JAZZER_FUZZ=1 mvn -pl sinks test-compile surefire:test -Dtest=SpillQueueFuzzTest#fuzz} fuzzes.
 */
class SpillQueueFuzzTest
{
    private static final int MIB = 1 << 20;
    /** SpillWriter's batch and SpillReader's buffer: records about these lengths take other paths. */
    private static final int WRITE_BATCH = 256 << 10;
    private static final int READ_CHUNK = 1 << 20;
    private static final int POSITION_BYTES = 20;
    /** Steps after the damage that the input chooses; then only reads and commits, which must drain it. */
    private static final int CHOSEN_STEPS = 64;
    private static final int MAX_STEPS = CHOSEN_STEPS + 5_000;
    private static final Pattern SEGMENT_NAME = Pattern.compile("[0-9]{20}\\.spill");
    private static final Pattern DAMAGE_NOTICE = Pattern.compile("([^/]+) is damaged at byte ");
    private static final Set<String> OWN_FILES = Set.of("lock", "id", "position");

    /** Every decision of one run, from Jazzer or from a seeded Random. */
    interface Choices
    {
        int pick(int min, int max);

        boolean flip();

        /** @return a seed for the bytes of records and of garbage. */
        long seed();
    }

    /** A record as the log held it before the damage: where in its segment, and which one written. */
    private record Stored(int start, int end, int index)
    {
    }

    /** @return the segments reported damaged. */
    static int run(final Choices choices) throws IOException
    {
        final Path dir = Files.createTempDirectory("spill-fuzz");
        final Run run = new Run(choices, dir);
        try
        {
            run.write();
            run.checkWhatWasLeft();
            run.damage();
            return run.reopenAndRead();
        }
        catch (final IOException | RuntimeException | AssertionError ex)
        {
            throw new AssertionError(run.story.toString(), ex);
        }
        finally
        {
            run.closeQuietly();
            deleteTree(dir);
        }
    }

    private static final class Run
    {
        private final Choices choices;
        private final Path dir;
        private final SplittableRandom random;
        private final StringBuilder story = new StringBuilder();
        private final List<String> notices = new ArrayList<>();
        private final List<byte[]> written = new ArrayList<>();
        private final Map<String, List<Stored>> stored = new HashMap<>();
        private SpillQueue queue;
        private Reading reading;
        private String identity;
        /** The directory's files as the writing left them, and as the damage did. */
        private Map<String, byte[]> before;
        private Map<String, byte[]> after;
        private int firstOnDisk;
        private int committedBeforeDamage;

        Run(final Choices choices, final Path dir)
        {
            this.choices = choices;
            this.dir = dir;
            this.random = new SplittableRandom(choices.seed());
        }

        void write() throws IOException
        {
            reading = new Reading(written);
            List<long[]> elsewhere = List.of();
            final int runs = choices.pick(1, 3);
            for (int r = 0; r < runs; r++)
            {
                final long maxBytes = choices.pick(1, 8) * (long)MIB;
                final int steps = choices.pick(0, 40);
                story.append("run ").append(r).append(", maxBytes ").append(maxBytes).append(':');
                open(maxBytes);
                reading.reopened();
                if (0 == r)
                {
                    identity = queue.identity();
                }
                assertEquals(identity, queue.identity(), "the identity is kept with the directory");
                if (!elsewhere.isEmpty() && choices.flip())
                {
                    // What the last run read and did not commit here, as if it was committed in Kafka.
                    reading.seekTo(elsewhere.get(choices.pick(0, elsewhere.size() - 1)));
                }
                for (int i = 0; i < steps; i++)
                {
                    switch (choices.pick(0, 9))
                    {
                        case 0, 1, 2, 3 -> append(maxBytes);
                        case 4 ->
                        {
                            queue.flush();
                            story.append(" flush");
                        }
                        case 5, 6 -> reading.read();
                        case 7 -> reading.commit();
                        case 8 -> reading.seek();
                        default -> reading.rewind();
                    }
                }
                elsewhere = new ArrayList<>(reading.outstanding);
                close();
                story.append('\n');
            }
            assertEquals(List.of(), notices, "an undamaged log reports nothing");
        }

        private void append(final long maxBytes)
        {
            final byte[] value = bytes(recordLength());
            if (0 == value.length)
            {
                // The log keeps no empty record: eight zero bytes are damage to its reader.
                assertThrows(IllegalArgumentException.class, () -> queue.append(value));
                story.append(" 0 refused");
                return;
            }
            if (queue.append(value))
            {
                written.add(value);
                story.append(' ').append(value.length);
            }
            else
            {
                story.append(' ').append(value.length).append(" refused");
                assertTrue(queue.diskBytes() + SpillQueue.RECORD_HEADER + value.length > maxBytes,
                    () -> "refused with " + queue.diskBytes() + " of " + maxBytes + " bytes taken");
            }
        }

        private int recordLength()
        {
            return switch (choices.pick(0, 15))
            {
                case 0 -> 0;
                case 12 -> choices.pick(201, 20_000);
                case 13 -> choices.pick(20_001, 400_000);
                case 14 -> choices.pick(400_001, 1_300_000);
                case 15 -> (choices.flip() ? WRITE_BATCH : READ_CHUNK) - SpillQueue.RECORD_HEADER + choices.pick(-2, 2);
                default -> choices.pick(1, 200);
            };
        }

        /** The log as the writing left it must hold exactly the last records written, and its position the next to deliver. */
        void checkWhatWasLeft() throws IOException
        {
            before = snapshot(dir);
            final TreeMap<Long, String> segments = segments(before);
            final Map<String, List<int[]>> spans = new HashMap<>();
            int count = 0;
            for (final String name : segments.values())
            {
                final List<int[]> records = spans(name, before.get(name));
                spans.put(name, records);
                count += records.size();
            }
            assertTrue(count <= written.size(), "the segments hold more records than were written");
            int index = written.size() - count;
            firstOnDisk = index;
            for (final String name : segments.values())
            {
                final List<Stored> records = new ArrayList<>();
                for (final int[] span : spans.get(name))
                {
                    final int at = index;
                    assertArrayEquals(written.get(at), Arrays.copyOfRange(before.get(name), span[0] + SpillQueue.RECORD_HEADER, span[1]),
                        () -> name + " at byte " + span[0] + " holds something else than record " + at);
                    records.add(new Stored(span[0], span[1], index++));
                }
                stored.put(name, records);
            }

            final byte[] position = before.get("position");
            final long[] saved = checkpoint(position);
            assertTrue(0 == position.length || (POSITION_BYTES == position.length && null != saved),
                () -> "the position file: " + position.length + " bytes, " + (null == saved ? "damaged" : "whole"));
            if (null != saved && segments.containsKey(saved[0]))
            {
                final List<Stored> records = stored.get(segments.get(saved[0]));
                assertTrue(SpillQueue.SEGMENT_HEADER == saved[1] || records.stream().anyMatch(r -> r.end() == saved[1]),
                    () -> "the position " + saved[0] + ":" + saved[1] + " is not between records");
            }
            // Read now, the log would deliver exactly the records not committed.
            int next = reading.committed;
            for (final Map.Entry<Long, String> segment : segments.entrySet())
            {
                final long start = start(saved, segment.getKey());
                for (final Stored record : stored.get(segment.getValue()))
                {
                    if (record.start() >= start)
                    {
                        assertEquals(next, record.index(), "the next record to deliver, by the position file");
                        next++;
                    }
                }
            }
            assertEquals(written.size(), next, "records not committed and not in the log");
            committedBeforeDamage = reading.committed;
        }

        void damage() throws IOException
        {
            after = new TreeMap<>();
            before.forEach((name, bytes) -> after.put(name, bytes.clone()));
            final int harms = choices.pick(0, 6);
            story.append("damage:");
            for (int i = 0; i < harms; i++)
            {
                switch (choices.pick(0, 9))
                {
                    case 0 -> cut(someSegment());
                    case 1, 2 -> flipBytes(someSegment());
                    case 3 -> appendGarbage(someSegment());
                    case 4 -> delete(someSegment());
                    case 5, 6 -> bogusSegment();
                    case 7 -> damageSmallFile("position");
                    case 8 -> damageSmallFile("id");
                    default -> foreignFile();
                }
            }
            story.append('\n');
            for (final String name : before.keySet())
            {
                if (!after.containsKey(name))
                {
                    Files.delete(dir.resolve(name));
                }
            }
            for (final Map.Entry<String, byte[]> file : after.entrySet())
            {
                if (!Arrays.equals(before.get(file.getKey()), file.getValue()))
                {
                    Files.write(dir.resolve(file.getKey()), file.getValue());
                }
            }
        }

        private String someSegment()
        {
            final List<String> names = new ArrayList<>(segments(after).values());
            return names.isEmpty() ? null : names.get(choices.pick(0, names.size() - 1));
        }

        /** @return an offset in [0, length], often where the format has structure: headers, record boundaries, the position. */
        private int offset(final String name, final int length)
        {
            final List<Stored> records = stored.getOrDefault(name, List.of());
            final long[] saved = checkpoint(before.get("position"));
            final long at = switch (choices.pick(0, 4))
            {
                case 0 -> choices.pick(0, SpillQueue.SEGMENT_HEADER + SpillQueue.RECORD_HEADER);
                case 1, 2 ->
                {
                    if (records.isEmpty())
                    {
                        yield choices.pick(0, length);
                    }
                    final Stored record = records.get(choices.pick(0, records.size() - 1));
                    yield (choices.flip() ? record.start() : record.end()) + choices.pick(-3, 11);
                }
                case 3 -> null != saved ? saved[1] + choices.pick(-12, 12) : choices.pick(0, length);
                default -> choices.pick(0, length);
            };
            return (int)Math.max(0, Math.min(length, at));
        }

        private void cut(final String name)
        {
            if (null != name)
            {
                final byte[] bytes = after.get(name);
                final int at = offset(name, bytes.length);
                after.put(name, Arrays.copyOf(bytes, at));
                story.append(" cut ").append(name).append(" at ").append(at).append(" of ").append(bytes.length).append(';');
            }
        }

        private void flipBytes(final String name)
        {
            if (null != name && after.get(name).length > 0)
            {
                final byte[] bytes = after.get(name);
                for (int i = choices.pick(1, 3); i > 0; i--)
                {
                    final int at = Math.min(bytes.length - 1, offset(name, bytes.length));
                    final int mask = 1 + random.nextInt(255);
                    bytes[at] ^= (byte)mask;
                    story.append(" flip ").append(name).append(" at ").append(at).append(" ^").append(mask).append(';');
                }
            }
        }

        private void appendGarbage(final String name)
        {
            if (null != name)
            {
                final byte[] bytes = after.get(name);
                // Zeros too, as a crash may leave (shouldNotTakeZerosAfterTheLastRecordForRecords).
                final int length = choices.pick(1, 64);
                final byte[] garbage = choices.flip() ? new byte[length] : garbage(length);
                final byte[] longer = Arrays.copyOf(bytes, bytes.length + garbage.length);
                System.arraycopy(garbage, 0, longer, bytes.length, garbage.length);
                after.put(name, longer);
                story.append(" append ").append(garbage.length).append(" bytes to ").append(name).append(';');
            }
        }

        private void delete(final String name)
        {
            if (null != name)
            {
                after.remove(name);
                story.append(" delete ").append(name).append(';');
            }
        }

        private void bogusSegment()
        {
            final TreeMap<Long, String> segments = segments(after);
            final long[] saved = checkpoint(before.get("position"));
            // Ids from 0 (shouldGoFromTheLastSegmentToTheWritersWithoutVisitingTheIdsBetween) to well
            // below 2^31; names past the ids a position holds are in shouldReadPastASegmentNamedBeyondThePositionsRange
            // and the two after it.
            final long id = switch (choices.pick(0, 4))
            {
                case 0 -> choices.flip() ? SpillQueue.FIRST_SEGMENT - choices.pick(1, 64) : choices.pick(0, (int)SpillQueue.FIRST_SEGMENT - 65);
                case 1 -> (segments.isEmpty() ? SpillQueue.FIRST_SEGMENT : segments.firstKey()) + choices.pick(-2, 2);
                case 2 -> null != saved ? saved[0] : SpillQueue.FIRST_SEGMENT;
                case 3 -> (segments.isEmpty() ? SpillQueue.FIRST_SEGMENT : segments.lastKey()) + choices.pick(1, 1000);
                default -> (1L << 30) + choices.pick(0, 1000);
            };
            final String name = SpillFiles.segmentName(id);
            final byte[] content = switch (choices.pick(0, 4))
            {
                case 0 -> new byte[0];
                case 1 -> Arrays.copyOf(magic(), choices.pick(1, SpillQueue.SEGMENT_HEADER - 1));
                case 2 -> magic();
                case 3 -> concat(magic(), garbage(choices.pick(1, 200)));
                default -> garbage(choices.pick(1, 200));
            };
            after.put(name, content);
            story.append(" bogus ").append(name).append(" of ").append(content.length).append(" bytes;");
        }

        private void foreignFile()
        {
            final List<String> segments = new ArrayList<>(segments(after).values());
            final String like = segments.isEmpty() ? SpillFiles.segmentName(SpillQueue.FIRST_SEGMENT) :
                segments.get(choices.pick(0, segments.size() - 1));
            final String digits = like.substring(0, 20);
            // Not in digits other than ASCII, which SpillFiles takes for a segment's (shouldIgnoreAFileNamedInDigitsOtherThanAscii).
            final String name = switch (choices.pick(0, 3))
            {
                case 0 -> digits.substring(1) + SpillQueue.SUFFIX;
                case 1 -> "9" + digits + SpillQueue.SUFFIX;
                case 2 -> like + ".tmp";
                default -> digits.substring(0, 19) + "x" + SpillQueue.SUFFIX;
            };
            final byte[] content = null != after.get(like) && choices.flip() ? after.get(like).clone() : garbage(choices.pick(0, 100));
            after.put(name, content);
            story.append(" foreign ").append(name).append(" of ").append(content.length).append(" bytes;");
        }

        private void damageSmallFile(final String name)
        {
            final byte[] bytes = after.get(name);
            if (null == bytes)
            {
                return;
            }
            // The id file may stop being text too (shouldTakeANewIdentityWhenTheIdFileIsNotText).
            switch (choices.pick(0, 3))
            {
                case 0 ->
                {
                    if (bytes.length > 0)
                    {
                        final int at = choices.pick(0, bytes.length - 1);
                        final int mask = 1 + random.nextInt(255);
                        bytes[at] ^= (byte)mask;
                        story.append(" flip ").append(name).append(" at ").append(at).append(" ^").append(mask).append(';');
                    }
                }
                case 1 ->
                {
                    final int at = choices.pick(0, bytes.length);
                    after.put(name, Arrays.copyOf(bytes, at));
                    story.append(" cut ").append(name).append(" at ").append(at).append(';');
                }
                case 2 ->
                {
                    final byte[] garbage = garbage(choices.pick(1, 40));
                    after.put(name, concat(bytes, garbage));
                    story.append(" append garbage to ").append(name).append(';');
                }
                default ->
                {
                    after.remove(name);
                    story.append(" delete ").append(name).append(';');
                }
            }
        }

        /** @return the segments reported damaged. */
        int reopenAndRead() throws IOException
        {
            // What reading must deliver, and report.
            final List<byte[]> expected = new ArrayList<>();
            final Set<String> mustReport = new TreeSet<>();
            final Set<String> mayReport = new TreeSet<>();
            final long[] mustSkip = new long[1];
            story.append("predict:");
            predict(expected, mustReport, mayReport, mustSkip);
            story.append(' ').append(expected.size()).append(" records\n");
            final byte[] positionBefore = before.get("position");
            final byte[] positionAfter = after.get("position");
            final boolean positionKept = null != positionAfter && positionBefore.length >= POSITION_BYTES &&
                Arrays.equals(positionBefore, 0, POSITION_BYTES, positionAfter, 0, Math.min(POSITION_BYTES, positionAfter.length));
            final List<byte[]> mayDeliver = written.subList(positionKept ? committedBeforeDamage : firstOnDisk, written.size());
            final List<byte[]> fresh = new ArrayList<>();

            notices.clear();
            reading = new Reading(expected);
            long corruptSegments = 0;
            long corruptBytes = 0;
            boolean exact = true;
            int reopenings = 0;
            final long maxBytes = 64L * MIB;
            story.append("read:");
            // SpillQueue documents an IOException from opening for a directory that cannot be made or
            // used, or that another process holds: neither is the case here. Damaged contents are the
            // reader's to skip and report, so nothing may escape.
            open(maxBytes);
            appendFresh(expected, fresh);
            if (Arrays.equals(before.get("id"), after.get("id")))
            {
                assertEquals(identity, queue.identity(), "the identity is kept with the directory");
            }
            for (int step = 0; !queue.drained(); step++)
            {
                if (step >= MAX_STEPS)
                {
                    fail("reading does not end: " + step + " steps, " + reading.delivered.size() + " of " + expected.size() +
                        " records read, committed " + Long.toHexString(queue.committedPosition()));
                }
                switch (step < CHOSEN_STEPS ? choices.pick(0, 9) : -1)
                {
                    case -1 ->
                    {
                        if (reading.outstanding.isEmpty())
                        {
                            reading.read(false, 0, 1000, Integer.MAX_VALUE);
                        }
                        else
                        {
                            reading.commitAll();
                        }
                    }
                    case 5, 6 -> reading.commit();
                    case 7 -> reading.seek();
                    case 8 ->
                    {
                        reading.rewind();
                        exact = false; // damage read again after a rewind is reported (and counted) again
                    }
                    case 9 ->
                    {
                        if (reopenings++ < 2)
                        {
                            corruptSegments += queue.corruptSegments();
                            corruptBytes += queue.corruptBytes();
                            close();
                            story.append(" reopen");
                            open(maxBytes);
                            reading.reopened();
                            appendFresh(expected, fresh);
                            exact = false;
                        }
                    }
                    default -> reading.read();
                }
            }
            corruptSegments += queue.corruptSegments();
            corruptBytes += queue.corruptBytes();
            story.append('\n');
            assertTrue(reading.outstanding.isEmpty(), "drained with records read and not committed");

            // The guarantee: the records written after the reopening, after a subsequence of those written
            // after the committed position (of those still on disk, if the position file was damaged).
            final List<byte[]> delivered = reading.delivered;
            assertTrue(delivered.size() >= fresh.size(), "records written after the reopening are lost");
            final List<byte[]> old = delivered.subList(0, delivered.size() - fresh.size());
            int from = 0;
            for (int i = 0; i < old.size(); i++)
            {
                while (from < mayDeliver.size() && !Arrays.equals(mayDeliver.get(from), old.get(i)))
                {
                    from++;
                }
                final int at = i;
                assertTrue(from++ < mayDeliver.size(), () -> "record " + at + " read is not one written after the committed position, " +
                    "in order: " + whatIs(old.get(at)));
            }
            for (int i = 0; i < fresh.size(); i++)
            {
                assertArrayEquals(fresh.get(i), delivered.get(old.size() + i), "a record written after the reopening");
            }
            // Exactly: every record intact and not committed, each once (checked in order while reading).
            assertEquals(expected.size(), delivered.size(), "records read, of those intact and not committed");

            final Set<String> reported = new TreeSet<>();
            for (final String notice : notices)
            {
                final Matcher matcher = DAMAGE_NOTICE.matcher(notice);
                if (matcher.find())
                {
                    reported.add(matcher.group(1));
                }
            }
            final Set<String> notReported = new TreeSet<>(mustReport);
            notReported.removeAll(reported);
            assertEquals(Set.of(), notReported, "segments whose damage was not reported");
            final Set<String> reportedUndamaged = new TreeSet<>(reported);
            reportedUndamaged.removeAll(mustReport);
            reportedUndamaged.removeAll(mayReport);
            assertEquals(Set.of(), reportedUndamaged, "segments reported damaged that were not");
            if (exact && mayReport.isEmpty())
            {
                // Each damaged segment counted once, and the bytes skipped in it from its damage on.
                assertEquals(mustReport.size(), corruptSegments, "damaged segments counted");
                assertEquals(mustSkip[0], corruptBytes, "bytes counted as skipped");
            }
            assertTrue(corruptSegments >= mustReport.size(), "damaged segments counted");
            assertTrue(corruptBytes >= mustSkip[0], "bytes counted as skipped");
            assertNull(queue.lastError(), "an I/O error");
            long segmentBytes = 0;
            for (final Map.Entry<String, byte[]> file : snapshot(dir).entrySet())
            {
                if (SpillFiles.segmentId(dir.resolve(file.getKey())) >= 0)
                {
                    segmentBytes += file.getValue().length;
                }
            }
            assertEquals(segmentBytes, queue.diskBytes(), "bytes the segment files take");
            close();

            // Drained, the log leaves no segment behind; the files it does not own are left as they were.
            final Map<String, byte[]> left = snapshot(dir);
            assertEquals(Set.of(), segments(left).keySet(), "segments left");
            for (final Map.Entry<String, byte[]> file : after.entrySet())
            {
                if (!OWN_FILES.contains(file.getKey()) && !SEGMENT_NAME.matcher(file.getKey()).matches())
                {
                    assertArrayEquals(file.getValue(), left.get(file.getKey()), file.getKey());
                }
            }
            return reported.size();
        }

        /**
         * Fill {@code expected} with what reading the damaged log must deliver (before what is written
         * after the reopening), {@code mustReport} with the segments it must report damaged,
         * {@code mayReport} with those it may, and {@code mustSkip} with the bytes it must count as
         * skipped in the former.
         */
        private void predict(final List<byte[]> expected, final Set<String> mustReport, final Set<String> mayReport,
            final long[] mustSkip)
        {
            final long[] saved = checkpoint(after.get("position"));
            for (final Map.Entry<Long, String> segment : segments(after).entrySet())
            {
                final String name = segment.getValue();
                final byte[] now = after.get(name);
                final byte[] was = before.get(name);
                final long start = start(saved, segment.getKey());
                final boolean magic = now.length >= SpillQueue.SEGMENT_HEADER &&
                    Arrays.equals(now, 0, SpillQueue.SEGMENT_HEADER, magic(), 0, SpillQueue.SEGMENT_HEADER);
                if (!magic)
                {
                    story.append(" expect ").append(name).append(" reported: no magic;");
                    mustReport.add(name);
                    // The reader counts a whole header at least.
                    mustSkip[0] += Math.max(SpillQueue.SEGMENT_HEADER, now.length);
                    continue;
                }
                long end = start;
                boolean lost = false;
                for (final Stored record : stored.getOrDefault(name, List.of()))
                {
                    if (record.start() < start)
                    {
                        continue;
                    }
                    if (!lost && record.end() <= now.length &&
                        Arrays.equals(now, record.start(), record.end(), was, record.start(), record.end()))
                    {
                        expected.add(written.get(record.index()));
                        end = record.end();
                    }
                    else
                    {
                        lost = true;
                    }
                }
                if (now.length > end)
                {
                    story.append(" expect ").append(name).append(" reported at ").append(end).append(';');
                    mustReport.add(name);
                    mustSkip[0] += now.length - end;
                }
                else if (now.length < start)
                {
                    // Cut short of where reading starts in it: the reader can tell, the position being past
                    // the segment's end (shouldReportASegmentCutShortOfThePosition). It must say so when records
                    // not delivered are gone; when none followed the position it cannot know that, and may.
                    story.append(" expect ").append(name).append(lost ? " reported" : " maybe reported").append(": cut at ")
                        .append(now.length).append(", short of the position ").append(start).append(';');
                    (lost ? mustReport : mayReport).add(name);
                }
            }
        }

        private void appendFresh(final List<byte[]> expected, final List<byte[]> fresh)
        {
            for (int i = choices.pick(0, 3); i > 0; i--)
            {
                final byte[] value = bytes(choices.pick(1, 300)); // the log keeps no empty record
                assertTrue(queue.append(value), "a record refused with room for it");
                expected.add(value);
                fresh.add(value);
            }
            queue.flush();
        }

        private String whatIs(final byte[] value)
        {
            for (int i = 0; i < written.size(); i++)
            {
                if (Arrays.equals(written.get(i), value))
                {
                    return value.length + " bytes, record " + i + " of " + written.size() + " written (" +
                        committedBeforeDamage + " committed before the damage)";
                }
            }
            return value.length + " bytes never written";
        }

        private void open(final long maxBytes) throws IOException
        {
            queue = new SpillQueue(dir, maxBytes, notices::add);
        }

        private void close()
        {
            final SpillQueue closing = queue;
            queue = null;
            closing.close();
            assertNull(closing.lastError(), "an I/O error");
        }

        void closeQuietly()
        {
            if (null != queue)
            {
                queue.close();
            }
        }

        private byte[] bytes(final int length)
        {
            final byte[] value = new byte[length];
            random.nextBytes(value);
            return value;
        }

        private byte[] garbage(final int length)
        {
            return bytes(length);
        }

        /** The consumer: what it read (checked as it reads), what it committed, what it may commit. */
        private final class Reading
        {
            /** What reading must return, in order. */
            private final List<byte[]> expected;
            private final List<byte[]> delivered = new ArrayList<>();
            /** {position a read returned, records read through it}, not committed yet. */
            private final ArrayDeque<long[]> outstanding = new ArrayDeque<>();
            private int committed;

            Reading(final List<byte[]> expected)
            {
                this.expected = expected;
            }

            void read()
            {
                // Reading on past records not committed is read-ahead: finishing a segment would commit them.
                final boolean ahead = !outstanding.isEmpty() || 7 == choices.pick(0, 7);
                final int views = choices.flip() ? choices.pick(1, 64) : 0;
                final int maxRecords = choices.pick(1, 64);
                read(ahead, views, maxRecords, choices.flip() ? Integer.MAX_VALUE : choices.pick(1, 2 * MIB));
            }

            void read(final boolean ahead, final int views, final int maxRecords, final int maxBytes)
            {
                final List<byte[]> out = new ArrayList<>();
                final long position;
                if (views > 0)
                {
                    final SpillRecords records = new SpillRecords(views);
                    position = ahead ? queue.readAhead(records, maxRecords, maxBytes) : queue.read(records, maxRecords, maxBytes);
                    assertTrue(records.size() <= Math.min(views, maxRecords), "more records than asked for");
                    for (int i = 0; i < records.size(); i++)
                    {
                        final byte[] value = new byte[records.length(i)];
                        records.buffer(i).getBytes(records.offset(i), value);
                        out.add(value);
                    }
                }
                else
                {
                    position = ahead ? queue.readAhead(out, maxRecords, maxBytes) : queue.read(out, maxRecords, maxBytes);
                    assertTrue(out.size() <= maxRecords, "more records than asked for");
                }
                story.append(ahead ? " ahead " : " read ").append(out.size());
                for (final byte[] value : out)
                {
                    final int at = delivered.size();
                    if (at >= expected.size() || !Arrays.equals(expected.get(at), value))
                    {
                        fail("record " + at + " read: " + whatIs(value) + "; expected " +
                            (at >= expected.size() ? "none, " + expected.size() + " are" : whatIs(expected.get(at))));
                    }
                    delivered.add(value);
                }
                if (!out.isEmpty())
                {
                    outstanding.add(new long[] {position, delivered.size()});
                }
            }

            void commit()
            {
                if (!outstanding.isEmpty())
                {
                    long[] through = null;
                    for (int i = outstanding.size() - 1 - choices.pick(0, outstanding.size() - 1); i >= 0; i--)
                    {
                        through = outstanding.poll();
                    }
                    queue.commit(through[0]);
                    committed = (int)through[1];
                    story.append(" commit ").append(committed);
                }
            }

            void commitAll()
            {
                final long[] through = outstanding.getLast();
                outstanding.clear();
                queue.commit(through[0]);
                committed = (int)through[1];
                story.append(" commit ").append(committed);
            }

            /** Commit through the last read as the Kafka sink does when a window is delivered. */
            void seek()
            {
                if (outstanding.isEmpty())
                {
                    assertFalse(queue.seek(queue.committedPosition()), "a seek to the committed position moved it");
                    return;
                }
                final long[] through = outstanding.getLast();
                assertTrue(queue.seek(through[0]), "a seek to a position read and not committed");
                outstanding.clear();
                committed = (int)through[1];
                story.append(" seek ").append(committed);
            }

            /** At the start of a run, move on to a position the last run read (committed in Kafka). */
            void seekTo(final long[] elsewhere)
            {
                assertTrue(queue.seek(elsewhere[0]), "a seek to a position the last run read and did not commit");
                committed = (int)elsewhere[1];
                delivered.addAll(expected.subList(delivered.size(), committed));
                story.append(" seek ").append(committed);
            }

            void rewind()
            {
                queue.rewind();
                restart();
                story.append(" rewind");
            }

            /** Reading starts again from the committed position (after a rewind or a reopening). */
            void restart()
            {
                delivered.subList(committed, delivered.size()).clear();
                outstanding.clear();
            }

            /** After opening: reading starts again from the committed position. */
            void reopened()
            {
                restart();
            }
        }
    }

    /** @return the records' {start, end} in an undamaged segment, checked by the format in {@link SpillQueue}'s Javadoc. */
    private static List<int[]> spans(final String name, final byte[] segment)
    {
        assertTrue(segment.length >= SpillQueue.SEGMENT_HEADER &&
            Arrays.equals(segment, 0, SpillQueue.SEGMENT_HEADER, magic(), 0, SpillQueue.SEGMENT_HEADER), name + ": no magic");
        final ByteBuffer buffer = ByteBuffer.wrap(segment).order(ByteOrder.LITTLE_ENDIAN);
        final List<int[]> spans = new ArrayList<>();
        int at = SpillQueue.SEGMENT_HEADER;
        while (at < segment.length)
        {
            assertTrue(segment.length - at >= SpillQueue.RECORD_HEADER, name + ": a torn record header at " + at);
            final int length = buffer.getInt(at);
            final int end = at + SpillQueue.RECORD_HEADER + length;
            assertTrue(length >= 0 && end <= segment.length, name + ": a torn record at " + at);
            final CRC32C crc = new CRC32C();
            crc.update(segment, at + SpillQueue.RECORD_HEADER, length);
            assertEquals((int)crc.getValue(), buffer.getInt(at + 4), name + ": the checksum of the record at " + at);
            spans.add(new int[] {at, end});
            at = end;
        }
        return spans;
    }

    /** @return the position as SpillCheckpoint reads it, {segment id, offset}, or null if there is none whole. */
    private static long[] checkpoint(final byte[] position)
    {
        if (null == position || position.length < POSITION_BYTES)
        {
            return null;
        }
        final CRC32C crc = new CRC32C();
        crc.update(position, 0, 16);
        final ByteBuffer buffer = ByteBuffer.wrap(position).order(ByteOrder.LITTLE_ENDIAN);
        return (int)crc.getValue() == buffer.getInt(16) ? new long[] {buffer.getLong(0), buffer.getLong(8)} : null;
    }

    /** @return where reading starts in segment {@code id}. */
    private static long start(final long[] saved, final long id)
    {
        return null != saved && saved[0] == id ? Math.max(SpillQueue.SEGMENT_HEADER, saved[1]) : SpillQueue.SEGMENT_HEADER;
    }

    /** @return the files named as segments (in ASCII digits), by id. */
    private static TreeMap<Long, String> segments(final Map<String, byte[]> files)
    {
        final TreeMap<Long, String> segments = new TreeMap<>();
        for (final String name : files.keySet())
        {
            if (SEGMENT_NAME.matcher(name).matches())
            {
                final BigInteger id = new BigInteger(name.substring(0, 20));
                segments.put(id.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact(), name);
            }
        }
        return segments;
    }

    private static Map<String, byte[]> snapshot(final Path dir) throws IOException
    {
        final Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir))
        {
            for (final Path file : list.toList())
            {
                if (Files.isRegularFile(file))
                {
                    files.put(file.getFileName().toString(), Files.readAllBytes(file));
                }
            }
        }
        return files;
    }

    private static byte[] magic()
    {
        return SpillFiles.header().array();
    }

    private static byte[] concat(final byte[] a, final byte[] b)
    {
        final byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (Stream<Path> files = Files.walk(dir))
        {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(file);
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void fuzz(final FuzzedDataProvider data) throws IOException
    {
        run(new Choices()
        {
            @Override
            public int pick(final int min, final int max)
            {
                return data.consumeInt(min, max);
            }

            @Override
            public boolean flip()
            {
                return data.consumeBoolean();
            }

            @Override
            public long seed()
            {
                return data.consumeLong();
            }
        });
    }

    @Test
    void shouldDeliverExactlyTheIntactRecordsNotCommittedWhateverDamageTheLogTook() throws IOException
    {
        long reported = 0;
        for (long seed = 0; seed < 500; seed++)
        {
            final Random random = new Random(seed);
            reported += run(new Choices()
            {
                @Override
                public int pick(final int min, final int max)
                {
                    return min + (int)(random.nextDouble() * ((long)max - min + 1));
                }

                @Override
                public boolean flip()
                {
                    return random.nextBoolean();
                }

                @Override
                public long seed()
                {
                    return random.nextLong();
                }
            });
        }
        assertTrue(reported > 250, "segments the runs damaged: " + reported);
    }
}
