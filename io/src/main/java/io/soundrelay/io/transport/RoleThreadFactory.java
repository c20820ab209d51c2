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
package io.soundrelay.io.transport;

import java.util.concurrent.ThreadFactory;

/**
 * Makes the thread of one data-plane role: where CPU pinning goes ({@link CpuPinning#factory(String, int)} is the
 * default), and where a test or an embedding application puts threads of its own.
 */
@FunctionalInterface
public interface RoleThreadFactory
{
    /**
     * @param role the role's name: soundrelay-relay (receive and route on one thread), soundrelay-receiver,
     *             soundrelay-router or soundrelay-mixer.
     * @param cpu  the CPU the role asks for (PIN_CPUS), or -1 for none.
     * @return the factory of the role's thread.
     */
    ThreadFactory newFactory(String role, int cpu);
}
