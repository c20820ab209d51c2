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
package io.soundrelay.io.receive;

import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

import java.util.ArrayDeque;

/**
 * Changes to the receiver's socket set, queued by the router (the only producer once the data plane runs; before
 * that, the thread that starts it) for the receiver thread, which owns the set: a relay port joins the set when its
 * route is attached, and leaves it when the route is gone. The queue is bounded; if it is ever full the router keeps
 * the rest in order on a list of its own and offers it again on its next duty cycle, so no change is lost or
 * reordered.
 */
public final class ReceiverProxy
{
    /** One change. */
    static final class Change
    {
        final boolean add;
        final RelaySocket socket;

        Change(final boolean add, final RelaySocket socket)
        {
            this.add = add;
            this.socket = socket;
        }
    }

    private final OneToOneConcurrentArrayQueue<Change> queue;
    private final ArrayDeque<Change> overflow = new ArrayDeque<>();
    private volatile Runnable wake = () -> { };

    /**
     * @param capacity changes queued at once before they wait on the router's side.
     */
    public ReceiverProxy(final int capacity)
    {
        this.queue = new OneToOneConcurrentArrayQueue<>(capacity);
    }

    /**
     * @param wake how to wake the receiver when a change is queued (its {@link BatchReceiver#wake()}).
     */
    public void onOffer(final Runnable wake)
    {
        this.wake = wake;
    }

    /**
     * Start receiving on a socket.
     *
     * @param socket bound, and attached to its route first.
     */
    public void add(final RelaySocket socket)
    {
        offer(new Change(true, socket));
    }

    /**
     * Stop receiving on a socket and close it once nothing touches it; also for a socket that was never added.
     *
     * @param socket detached from its route first.
     */
    public void remove(final RelaySocket socket)
    {
        offer(new Change(false, socket));
    }

    /**
     * Offer again what a full queue held back. Producer thread only.
     *
     * @return changes handed on.
     */
    public int retry()
    {
        int moved = 0;
        Change next;
        while ((next = overflow.peekFirst()) != null && queue.offer(next))
        {
            overflow.pollFirst();
            moved++;
        }
        if (moved > 0)
        {
            wake.run();
        }
        return moved;
    }

    /**
     * @return whether changes wait on the producer's side for room in the queue.
     */
    public boolean hasOverflow()
    {
        return !overflow.isEmpty();
    }

    /**
     * @return changes queued and not yet applied.
     */
    public int pending()
    {
        return queue.size() + overflow.size();
    }

    private void offer(final Change change)
    {
        if (!overflow.isEmpty() || !queue.offer(change))
        {
            overflow.addLast(change);
        }
        else
        {
            wake.run();
        }
    }

    /**
     * Take the queued changes. Receiver thread only.
     *
     * @param applier applies each change in order.
     * @param limit   most changes taken.
     * @return changes taken.
     */
    int drain(final java.util.function.Consumer<Change> applier, final int limit)
    {
        return queue.drain(applier, limit);
    }
}
