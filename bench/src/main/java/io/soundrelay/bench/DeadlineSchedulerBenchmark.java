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
package io.soundrelay.bench;

import io.soundrelay.io.pace.DeadlineHeap;
import org.agrona.BitUtil;
import org.agrona.DeadlineTimerWheel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The router's deadline pattern, on the two schedulers it could use: {@link DeadlineHeap} (what it uses) and Agrona's
 * {@link DeadlineTimerWheel}. {@code routes} routes (jitter buffers or pacers) each re-arm their deadline once every
 * 20 ms of simulated time, 0 to 60 ms ahead of a nanosecond clock; one re-arm in 16 is a cancel instead (the route
 * stops holding). One operation is one re-arm followed by the duty cycle's poll, which takes out every deadline that
 * is due (a duty cycle per datagram: the router polls its timers once per cycle). The clock advances 20 ms / routes
 * per operation, so every route is touched once per 20 ms whatever the count.
 * <p>
 * The wheel has no "set by id": a re-arm is {@code cancelTimer} of the route's previous timer id, if it has one, then
 * {@code scheduleTimer}, with a route to timer id array and a timer slot to route array (what its poll hands back is
 * a timer id). Ticks of 2^20 ns (about 1 ms), 64 ticks per wheel (67 ms: a deadline at most 60 ms ahead never wraps
 * past the current tick). To take out everything due, the wheel is polled until a poll leaves its current tick where
 * it was (its {@code poll} scans one tick, then advances at most one): without that a deadline due in the next
 * tick waits for the next poll ({@link #wheelOnePoll} measures it polled once, as Aeron polls it). The deadlines
 * and cancels come from one precomputed sequence, the same for all, and {@link #heap} and {@link #wheel} pop the
 * same routes at the same steps.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DeadlineSchedulerBenchmark
{
    static final long PERIOD_NS = TimeUnit.MILLISECONDS.toNanos(20);
    static final long MAX_AHEAD_NS = TimeUnit.MILLISECONDS.toNanos(60);
    static final long TICK_NS = 1L << 20;
    static final int TICKS_PER_WHEEL = 64;
    static final int CANCEL_ONE_IN = 16;
    static final long CANCEL = -1;
    static final int SEQUENCE = 1 << 16;
    static final int SEQUENCE_MASK = SEQUENCE - 1;
    static final long NO_TIMER = -1;
    // An arbitrary, negative start: System.nanoTime() has no fixed origin.
    static final long START_NS = -TimeUnit.DAYS.toNanos(3);

    /**
     * The routes, the clock and the precomputed sequence of re-arms, shared by both schedulers' states.
     */
    @State(Scope.Thread)
    public static class Pattern
    {
        @Param({ "100", "1000", "10000" })
        public int routes;

        int[] routeAt;
        long[] aheadNs;
        long stepNs;

        @Setup
        public void setup()
        {
            final SplittableRandom random = new SplittableRandom(0x5EED_0030L);
            routeAt = new int[SEQUENCE];
            aheadNs = new long[SEQUENCE];
            final int[] order = new int[routes];
            for (int i = 0; i < routes; i++)
            {
                order[i] = i;
            }
            for (int i = 0; i < SEQUENCE; i++)
            {
                // Each route once per period, in an order shuffled anew each period (datagrams come as they come).
                final int inPeriod = i % routes;
                if (inPeriod == 0)
                {
                    shuffle(order, random);
                }
                routeAt[i] = order[inPeriod];
                aheadNs[i] = random.nextInt(CANCEL_ONE_IN) == 0 ? CANCEL : random.nextLong(MAX_AHEAD_NS + 1);
            }
            stepNs = PERIOD_NS / routes;
        }

        private static void shuffle(final int[] order, final SplittableRandom random)
        {
            for (int i = order.length - 1; i > 0; i--)
            {
                final int j = random.nextInt(i + 1);
                final int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
        }
    }

    /**
     * The router's scheduler: one heap entry per route id.
     */
    @State(Scope.Thread)
    public static class Heap
    {
        DeadlineHeap heap;
        long nowNs;
        int next;
        long popped;

        @Setup
        public void setup(final Pattern pattern)
        {
            heap = new DeadlineHeap(pattern.routes);
            nowNs = START_NS;
            next = 0;
            // Into the steady state: every route armed once or more before the measurement.
            for (int i = 0; i < pattern.routes * 8; i++)
            {
                step(pattern);
            }
        }

        long step(final Pattern pattern)
        {
            final int i = next++ & SEQUENCE_MASK;
            final int route = pattern.routeAt[i];
            final long aheadNs = pattern.aheadNs[i];
            final long now = nowNs += pattern.stepNs;
            if (aheadNs == CANCEL)
            {
                heap.remove(route);
            }
            else
            {
                heap.set(route, now + aheadNs);
            }

            while (!heap.isEmpty() && heap.peekDeadline() - now <= 0)
            {
                heap.remove(heap.peekId());
                popped++;
            }
            return popped;
        }
    }

    /**
     * Agrona's wheel with the two arrays that give it a "set by id".
     */
    @State(Scope.Thread)
    public static class Wheel implements DeadlineTimerWheel.TimerHandler
    {
        DeadlineTimerWheel wheel;
        long[] timerIdOf;
        int[] routeOfSlot;
        int slotShift;
        long nowNs;
        int next;
        long popped;

        @Setup
        public void setup(final Pattern pattern)
        {
            wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, START_NS, TICK_NS, TICKS_PER_WHEEL);
            timerIdOf = new long[pattern.routes];
            Arrays.fill(timerIdOf, NO_TIMER);
            // A tick never holds more timers than there are routes, so its slot index stays below that power of two.
            slotShift = Integer.numberOfTrailingZeros(BitUtil.findNextPositivePowerOfTwo(pattern.routes));
            routeOfSlot = new int[TICKS_PER_WHEEL << slotShift];
            nowNs = START_NS;
            next = 0;
            for (int i = 0; i < pattern.routes * 8; i++)
            {
                step(pattern, true);
            }
        }

        long step(final Pattern pattern, final boolean catchUp)
        {
            final int i = next++ & SEQUENCE_MASK;
            final int route = pattern.routeAt[i];
            final long aheadNs = pattern.aheadNs[i];
            final long now = nowNs += pattern.stepNs;
            final long timerId = timerIdOf[route];
            if (timerId != NO_TIMER)
            {
                wheel.cancelTimer(timerId);
                timerIdOf[route] = NO_TIMER;
            }
            if (aheadNs != CANCEL)
            {
                final long id = wheel.scheduleTimer(now + aheadNs);
                timerIdOf[route] = id;
                routeOfSlot[slot(id)] = route;
            }

            // A poll scans the current tick, then moves to the next if the clock is past it, unscanned: poll until
            // one stays, i.e. the tick that holds the clock has been scanned.
            long tickEndNs;
            do
            {
                tickEndNs = wheel.currentTickTime();
                wheel.poll(now, this, Integer.MAX_VALUE);
            }
            while (catchUp && wheel.currentTickTime() != tickEndNs);
            return popped;
        }

        @Override
        public boolean onTimerExpiry(final TimeUnit timeUnit, final long now, final long timerId)
        {
            timerIdOf[routeOfSlot[slot(timerId)]] = NO_TIMER;
            popped++;
            return true;
        }

        private int slot(final long timerId)
        {
            return ((int)(timerId >> 32) << slotShift) | (int)timerId;
        }
    }

    @Benchmark
    public long heap(final Pattern pattern, final Heap heap)
    {
        return heap.step(pattern);
    }

    @Benchmark
    public long wheel(final Pattern pattern, final Wheel wheel)
    {
        return wheel.step(pattern, true);
    }

    /**
     * The wheel as Aeron polls it, once per duty cycle: cheaper, but a deadline can then be popped a cycle or more
     * late (the wheel moves at most one tick per poll), which the router's pacer and jitter buffer do not allow. For
     * scale only: it does not pop the same routes at the same steps as the other two.
     */
    @Benchmark
    public long wheelOnePoll(final Pattern pattern, final Wheel wheel)
    {
        return wheel.step(pattern, false);
    }

    /**
     * The three interleaved on one thread, timed by the thread's CPU time instead of the wall clock, so that time a
     * shared machine gives to other processes is not counted (their cache pollution still is): round after round,
     * each does the same number of operations in turn, and the median, least and most ns per operation over the
     * rounds after the warm-up are printed.
     * <pre>
     * java -cp bench/target/benchmarks.jar io.soundrelay.bench.DeadlineSchedulerBenchmark [rounds] [ops per round]
     * </pre>
     *
     * @param args rounds (default 15, the first 3 are warm-up) and operations per round (default 1,000,000).
     */
    public static void main(final String[] args)
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        final int ops = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        final int warmup = 3;
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        System.out.println("routes  scheduler     median ns/op  least  most  (thread CPU time, " + (rounds - warmup) +
            " rounds of " + ops + " ops)");
        for (final int routes : new int[]{ 100, 1_000, 10_000 })
        {
            final Pattern pattern = new Pattern();
            pattern.routes = routes;
            pattern.setup();
            final Heap heap = new Heap();
            heap.setup(pattern);
            final Wheel wheel = new Wheel();
            wheel.setup(pattern);
            final Wheel wheelOnePoll = new Wheel();
            wheelOnePoll.setup(pattern);
            final double[][] nsPerOp = new double[3][rounds - warmup];
            for (int round = 0; round < rounds; round++)
            {
                for (int which = 0; which < 3; which++)
                {
                    final long startNs = threads.getCurrentThreadCpuTime();
                    sink += which == 0 ? run(heap, pattern, ops) :
                        run(which == 1 ? wheel : wheelOnePoll, pattern, ops, which == 1);
                    if (round >= warmup)
                    {
                        nsPerOp[which][round - warmup] = (threads.getCurrentThreadCpuTime() - startNs) / (double)ops;
                    }
                }
            }
            final String[] names = { "heap", "wheel", "wheelOnePoll" };
            for (int which = 0; which < 3; which++)
            {
                final double[] sorted = nsPerOp[which];
                Arrays.sort(sorted);
                System.out.printf(Locale.ROOT, "%6d  %-12s  %12.1f  %5.1f  %4.1f%n", routes, names[which],
                    sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
            }
        }
        System.out.println("(checksum " + sink + ")");
    }

    private static long run(final Heap heap, final Pattern pattern, final int ops)
    {
        long popped = 0;
        for (int i = 0; i < ops; i++)
        {
            popped = heap.step(pattern);
        }
        return popped;
    }

    private static long run(final Wheel wheel, final Pattern pattern, final int ops, final boolean catchUp)
    {
        long popped = 0;
        for (int i = 0; i < ops; i++)
        {
            popped = wheel.step(pattern, catchUp);
        }
        return popped;
    }
}
