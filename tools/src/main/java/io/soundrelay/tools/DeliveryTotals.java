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

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;

/**
 * What a drill's sink saw over all its streams, as {@code migrate-drill} and {@code rolling-drill} print and write it.
 *
 * @param sent          datagrams sent.
 * @param received      of those, received.
 * @param lost          sent and never received.
 * @param duplicated    received more than once.
 * @param reordered     received after a later one of their stream.
 * @param notSent       received with a sequence number never sent.
 * @param datagramsIn   every datagram the sink took.
 * @param corrupt       datagrams that are no frame of the drill's.
 * @param unknownStream frames of a stream the drill does not send.
 * @param sendErrors    sends that failed (each sent again on its stream's next tick).
 * @param sendNs        how long sending lasted.
 */
record DeliveryTotals(
    long sent,
    long received,
    long lost,
    long duplicated,
    long reordered,
    long notSent,
    long datagramsIn,
    long corrupt,
    long unknownStream,
    long sendErrors,
    long sendNs)
{
    /**
     * @return the totals of the streams' counts, with what the sink and the sender counted besides.
     */
    static DeliveryTotals of(
        final Iterable<SequenceLedger.Counts> streams,
        final long datagramsIn,
        final long corrupt,
        final long unknownStream,
        final long sendErrors,
        final long sendNs)
    {
        long sent = 0;
        long received = 0;
        long lost = 0;
        long duplicated = 0;
        long reordered = 0;
        long notSent = 0;
        for (final SequenceLedger.Counts counts : streams)
        {
            sent += counts.sent();
            received += counts.received();
            lost += counts.lost();
            duplicated += counts.duplicated();
            reordered += counts.reordered();
            notSent += counts.unexpected();
        }
        return new DeliveryTotals(sent, received, lost, duplicated, reordered, notSent, datagramsIn, corrupt,
            unknownStream, sendErrors, sendNs);
    }

    /**
     * @return datagrams that are no frame sent: corrupt, of an unknown stream, or a sequence never sent.
     */
    long unexpected()
    {
        return corrupt + unknownStream + notSent;
    }

    /**
     * Print the totals' lines of a drill's summary.
     */
    void print(final PrintStream out)
    {
        out.println(String.format(Locale.ROOT, "sent          %d datagrams in %.3f s", sent, sendNs / 1e9));
        out.println("received      " + received + " (" + datagramsIn + " datagrams in all)");
        out.println("lost          " + lost);
        out.println("duplicated    " + duplicated);
        out.println("reordered     " + reordered);
        out.println("unexpected    " + unexpected() + " (corrupt " + corrupt + ", unknown stream " + unknownStream +
            ", sequence not sent " + notSent + ")");
        if (sendErrors > 0)
        {
            out.println("send errors   " + sendErrors + " (each sent again on its stream's next tick)");
        }
    }

    /**
     * Write the totals' fields of a drill's JSON report.
     */
    void write(final JsonGenerator json) throws IOException
    {
        Json.writeRounded(json, "send_window_s", sendNs / 1e9);
        json.writeNumberField("sent", sent);
        json.writeNumberField("received", received);
        json.writeNumberField("datagrams_in", datagramsIn);
        json.writeNumberField("lost", lost);
        json.writeNumberField("duplicated", duplicated);
        json.writeNumberField("reordered", reordered);
        json.writeNumberField("unexpected", unexpected());
        json.writeNumberField("corrupt", corrupt);
        json.writeNumberField("unknown_stream", unknownStream);
        json.writeNumberField("send_errors", sendErrors);
    }
}
