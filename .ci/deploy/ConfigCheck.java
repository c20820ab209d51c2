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

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;

import java.nio.file.Path;
import java.util.Map;

/**
 * Loads each given settings file (.env syntax) with the node's own {@link Configuration}, as the node does at
 * start-up, and says which do not parse. Run by .ci/validate-deploy as a single-file program:
 * {@code java -cp control/target/soundrelay.jar .ci/deploy/ConfigCheck.java FILE...}.
 */
public final class ConfigCheck
{
    public static void main(final String[] args)
    {
        int bad = 0;
        for (final String file : args)
        {
            try
            {
                final Configuration config = Configuration.load(Map.of(), Path.of(file));
                System.out.println("ok " + Path.of(file).getFileName() + ": NODE_ID=" + config.nodeId());
            }
            catch (final ConfigurationException ex)
            {
                bad++;
                System.out.println("FAIL " + Path.of(file).getFileName() + ": " + ex.getMessage());
            }
        }
        System.exit(bad == 0 ? 0 : 1);
    }
}
