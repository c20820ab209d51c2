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
package io.soundrelay.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Names that look like settings but are none: {@code API_KEY=...} in {@code .env} would otherwise start a node with a
 * generated key and no word, {@code BIND_ADRR=...} one on the default address. Every unknown name in {@code .env} is
 * reported, with the nearest setting when one is close; in the environment, which holds much else ({@code PATH},
 * {@code HOME}, ...), only names within {@link #NEAR} edits of a setting are.
 */
public final class SettingTypos
{
    /** Edits (insertions, deletions, substitutions, swaps of neighbours) that make a name a likely typo. */
    static final int NEAR = 2;

    private SettingTypos()
    {
    }

    /**
     * @param env        the process environment.
     * @param dotEnvFile the {@code .env} file, or null; one that does not exist or does not parse is skipped (loading
     *                   the configuration reports it).
     * @return one warning per suspicious name, naming where it was and the setting it likely means.
     */
    public static List<String> find(final Map<String, String> env, final Path dotEnvFile)
    {
        final List<String> warnings = new ArrayList<>();
        if (dotEnvFile != null && Files.exists(dotEnvFile))
        {
            try
            {
                for (final String name : DotEnv.read(dotEnvFile).keySet())
                {
                    if (!known(name))
                    {
                        final String near = nearest(name);
                        warnings.add(name + " in " + dotEnvFile + " is not a setting of the node and is ignored" +
                            (near == null ? "" : "; did you mean " + near + "?") + " (--help lists them)");
                    }
                }
            }
            catch (final ConfigurationException ex)
            {
                // the configuration's own load reports it
            }
        }
        if (env != null)
        {
            for (final String name : env.keySet())
            {
                final String near = known(name) ? null : nearest(name);
                if (near != null)
                {
                    warnings.add(name + " in the environment is not a setting of the node and is ignored; did you " +
                        "mean " + near + "?");
                }
            }
        }
        return warnings;
    }

    private static boolean known(final String name)
    {
        return Configuration.NAMES.contains(name) || name.startsWith(Configuration.OTEL_PREFIX);
    }

    /**
     * @return the setting within {@link #NEAR} edits of the name (the closest, the first listed on a tie), or null.
     */
    static String nearest(final String name)
    {
        String best = null;
        int bestDistance = NEAR + 1;
        for (final String setting : Configuration.NAMES)
        {
            final int distance = distance(name.toUpperCase(Locale.ROOT), setting);
            if (distance < bestDistance)
            {
                best = setting;
                bestDistance = distance;
            }
        }
        return best;
    }

    /**
     * Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.
     */
    static int distance(final String a, final String b)
    {
        final int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++)
        {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++)
        {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++)
        {
            for (int j = 1; j <= b.length(); j++)
            {
                final int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
