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
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * The receiving role as an Agrona agent: applies the socket-set changes the router queued, then takes what the
 * sockets hold into the ring. Stopped with {@link #stopReceiving()}, which leaves the datagrams in the sockets.
 */
public final class ReceiveAgent implements Agent
{
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveAgent.class);
    private static final int CHANGE_LIMIT = 64;

    private final BatchReceiver receiver;
    private final ReceiverProxy changes;
    private final Consumer<RelaySocket> closer;
    private final Consumer<ReceiverProxy.Change> applier = this::apply;
    private volatile boolean receiving = true;

    /**
     * @param receiver owned by this agent's thread from now on.
     * @param changes  socket-set changes from the router.
     * @param closer   closes a socket once it has left the set (and frees its relay port).
     */
    public ReceiveAgent(
        final BatchReceiver receiver, final ReceiverProxy changes, final Consumer<RelaySocket> closer)
    {
        this.receiver = receiver;
        this.changes = changes;
        this.closer = closer;
        changes.onOffer(receiver::wake);
    }

    public int doWork()
    {
        final int work = changes.drain(applier, CHANGE_LIMIT);
        return work + (receiving ? receiver.receive() : receiver.publishTaken());
    }

    private void apply(final ReceiverProxy.Change change)
    {
        if (change.add)
        {
            try
            {
                receiver.add(change.socket);
            }
            catch (final IOException | RuntimeException ex)
            {
                LOG.error("cannot receive on {}: {}; its route gets nothing through it", change.socket, ex.toString());
            }
        }
        else
        {
            receiver.remove(change.socket, closer);
        }
    }

    /**
     * Take no more datagrams off the sockets; any thread may call it.
     */
    public void stopReceiving()
    {
        receiving = false;
        receiver.wake();
    }

    /**
     * @return the receiver this agent drives.
     */
    public BatchReceiver receiver()
    {
        return receiver;
    }

    public void onClose()
    {
        receiver.close();
    }

    public String roleName()
    {
        return "soundrelay-receiver";
    }
}
