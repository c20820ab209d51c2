/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.soundrelay.tools;

import io.soundrelay.tools.SequenceLedger.Counts;
import io.soundrelay.tools.SequenceLedger.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.soundrelay.tools.SequenceLedger.Outcome.DUPLICATE;
import static io.soundrelay.tools.SequenceLedger.Outcome.IN_ORDER;
import static io.soundrelay.tools.SequenceLedger.Outcome.OUT_OF_ORDER;
import static io.soundrelay.tools.SequenceLedger.Outcome.UNEXPECTED;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Per-stream accounting of the frames' u32 sequences: in order, lost, duplicated, reordered, across the wrap from
 * 2^32 - 1 to 0, and what cannot have been sent.
 */
final class SequenceLedgerTest
{
    private static final long FIRST_STREAM_ID = 7_000;
    private static final int LAST_BEFORE_WRAP = 0xFFFF_FFFF;

    @Test
    void inOrderIsReceivedOnceEach()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 2, 0);

        assertEquals(List.of(IN_ORDER, IN_ORDER, IN_ORDER, IN_ORDER), record(ledger, 0, 0, 1, 2, 3));

        assertEquals(new Counts(4, 4, 0, 0, 0, 0), ledger.counts(0, 4));
        assertEquals(new Counts(0, 0, 0, 0, 0, 0), ledger.counts(1, 0), "streams are counted apart");
        assertEquals(4, ledger.received());
    }

    @Test
    void aGapIsLostAndSoIsWhatNeverCame()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 1, 0);

        assertEquals(List.of(IN_ORDER, IN_ORDER, IN_ORDER, IN_ORDER), record(ledger, 0, 0, 1, 3, 4));

        assertEquals(new Counts(5, 4, 1, 0, 0, 0), ledger.counts(0, 5), "2 lost");
        assertEquals(new Counts(7, 4, 3, 0, 0, 0), ledger.counts(0, 7), "2, 5 and 6 lost");
    }

    @Test
    void aDuplicateIsCountedOnceAsDuplicated()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 1, 0);

        assertEquals(List.of(IN_ORDER, IN_ORDER, DUPLICATE, IN_ORDER, DUPLICATE), record(ledger, 0, 0, 1, 1, 2, 0));

        assertEquals(new Counts(3, 5, 0, 2, 0, 0), ledger.counts(0, 3));
    }

    @Test
    void aFrameAfterALaterOneIsReorderedNotLost()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 1, 0);

        assertEquals(List.of(IN_ORDER, IN_ORDER, OUT_OF_ORDER, IN_ORDER, OUT_OF_ORDER),
            record(ledger, 0, 0, 2, 1, 4, 3));

        assertEquals(new Counts(5, 5, 0, 0, 2, 0), ledger.counts(0, 5));
    }

    @Test
    void sequencesWrapFrom2To32Minus1ToZero()
    {
        final int first = LAST_BEFORE_WRAP - 2;

        final SequenceLedger inOrder = new SequenceLedger(FIRST_STREAM_ID, 1, first);
        assertEquals(List.of(IN_ORDER, IN_ORDER, IN_ORDER, IN_ORDER, IN_ORDER),
            record(inOrder, 0, first, first + 1, LAST_BEFORE_WRAP, 0, 1));
        assertEquals(new Counts(5, 5, 0, 0, 0, 0), inOrder.counts(0, 5));

        final SequenceLedger troubled = new SequenceLedger(FIRST_STREAM_ID, 1, first);
        assertEquals(List.of(IN_ORDER, IN_ORDER, OUT_OF_ORDER, DUPLICATE, IN_ORDER),
            record(troubled, 0, first, 0, LAST_BEFORE_WRAP, 0, 2));
        // first + 1 and 1 never came: one on each side of the wrap.
        assertEquals(new Counts(6, 5, 2, 1, 1, 0), troubled.counts(0, 6));
    }

    @Test
    void whatCannotHaveBeenSentIsUnexpected()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 2, 0);

        assertEquals(List.of(IN_ORDER, UNEXPECTED, IN_ORDER, UNEXPECTED),
            record(ledger, 0, 0, LAST_BEFORE_WRAP, 5, Integer.MIN_VALUE + 5));
        assertEquals(new Counts(3, 4, 2, 0, 0, 3), ledger.counts(0, 3), "before the first, 2^31 on, 5 not sent");

        ledger.onVerified(0, FIRST_STREAM_ID + 1, 0, 0, System.nanoTime());
        ledger.onVerified(0, FIRST_STREAM_ID + 2, 0, 0, System.nanoTime());
        ledger.onVerified(0, FIRST_STREAM_ID - 1, 0, 0, System.nanoTime());
        ledger.onCorrupt();
        assertEquals(new Counts(1, 1, 0, 0, 0, 0), ledger.counts(1, 1));
        assertEquals(2, ledger.unknownStream());
        assertEquals(1, ledger.corrupt());
        assertEquals(8, ledger.received());
    }

    @Test
    void theReceiverHandsOverTheLow32BitsOfTheSequence()
    {
        final SequenceLedger ledger = new SequenceLedger(FIRST_STREAM_ID, 1, 0);
        final long before = ledger.lastArrivalNs();

        ledger.onVerified(0, FIRST_STREAM_ID, 0, 0, before + 1);
        ledger.onVerified(0, FIRST_STREAM_ID, 1L << 32 | 1, 0, before + 2);

        assertEquals(new Counts(2, 2, 0, 0, 0, 0), ledger.counts(0, 2));
        assertEquals(before + 2, ledger.lastArrivalNs());
    }

    private static List<Outcome> record(final SequenceLedger ledger, final int stream, final int... sequences)
    {
        final List<Outcome> outcomes = new ArrayList<>();
        for (final int sequence : sequences)
        {
            outcomes.add(ledger.record(stream, sequence));
        }
        return outcomes;
    }
}
