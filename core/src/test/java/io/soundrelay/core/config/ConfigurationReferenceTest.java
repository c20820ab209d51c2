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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The configuration reference page: generated from the declarations, every setting once, and the page in the
 * repository the same as what the code generates.
 */
class ConfigurationReferenceTest
{
    /** The checked-in page, from core's directory. */
    static final Path PAGE = Path.of("..", "docs", "reference", "configuration.md");

    @Test
    void theCheckedInPageIsWhatTheDeclarationsGenerate() throws IOException
    {
        assertSameAsGenerated(PAGE, ConfigurationReference.markdown());
    }

    @Test
    void theDriftCheckFailsOnAPageThatDiffersNamingTheCommandThatRegeneratesIt(@TempDir final Path dir)
        throws IOException
    {
        final Path edited = dir.resolve("configuration.md");
        final String generated = ConfigurationReference.markdown();
        final String changed = generated.replace("Most routes this node holds", "Most routes");
        assertFalse(changed.equals(generated), "the edit changes the page");
        Files.writeString(edited, changed, StandardCharsets.UTF_8);
        final AssertionError ex = assertThrows(AssertionError.class, () -> assertSameAsGenerated(edited, generated));
        assertTrue(ex.getMessage().contains(ConfigurationReference.REGENERATE), ex.getMessage());
        assertTrue(ex.getMessage().contains("Most routes at once"), ex.getMessage());
    }

    /**
     * @param page      the page in the repository.
     * @param generated what the code generates.
     * @throws AssertionError naming the command that regenerates the page, and the first line that differs.
     */
    static void assertSameAsGenerated(final Path page, final String generated) throws IOException
    {
        final String checkedIn = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : "";
        if (checkedIn.equals(generated))
        {
            return;
        }
        final Path written = Path.of("target", "reference", page.getFileName().toString());
        Files.createDirectories(written.getParent());
        Files.writeString(written, generated, StandardCharsets.UTF_8);
        final String[] a = checkedIn.split("\n", -1);
        final String[] b = generated.split("\n", -1);
        int line = 0;
        while (line < a.length && line < b.length && a[line].equals(b[line]))
        {
            line++;
        }
        fail(page.normalize() + " differs from what the code generates (line " + (line + 1) + ": page has \"" +
            (line < a.length ? a[line] : "<end>") + "\", code gives \"" + (line < b.length ? b[line] : "<end>") +
            "\"). Regenerate it from the repository's root: " + ConfigurationReference.REGENERATE +
            " (the generated text is also in " + written.toAbsolutePath().normalize() + ")");
    }

    @Test
    void everySettingIsOnThePageOnceInTheGroupOfItsCatalogue() throws IllegalAccessException
    {
        final List<String> listed = new ArrayList<>();
        for (final ConfigurationReference.Group group : ConfigurationReference.groups())
        {
            for (final Setting<?> setting : group.settings())
            {
                listed.add(setting.name());
            }
        }
        assertEquals(Configuration.NAMES.size(), listed.size(), listed.toString());
        assertTrue(listed.containsAll(Configuration.NAMES), listed.toString());
        final Map<Class<?>, List<Setting<?>>> catalogues = Map.of(
            DataPlaneSettings.class, DataPlaneSettings.SETTINGS, ApiSettings.class, ApiSettings.SETTINGS,
            RouteSettings.class, RouteSettings.SETTINGS, ClusterSettings.class, ClusterSettings.SETTINGS);
        for (final Map.Entry<Class<?>, List<Setting<?>>> catalogue : catalogues.entrySet())
        {
            for (final Field field : catalogue.getKey().getDeclaredFields())
            {
                if (Modifier.isStatic(field.getModifiers()) && field.getType() == Setting.class)
                {
                    assertTrue(catalogue.getValue().contains((Setting<?>)field.get(null)),
                        field.getName() + " of " + catalogue.getKey().getSimpleName() + " is in its SETTINGS");
                }
            }
        }
    }

    @Test
    void eachRowShowsNameDefaultAllowedValuesAndDescription()
    {
        final String page = ConfigurationReference.markdown();
        assertTrue(page.contains(
            "| `RING_SIZE` | `16384` | a power of two, 64-1048576 | Slots in each pipeline's receive ring"), page);
        assertTrue(page.contains("| `AUTH_ENABLED` | `true` | true or false | When true, every control API"), page);
        assertTrue(page.contains("| `LOG_LEVEL` | `info` | one of trace, debug, info, warn, error, in any case |"),
            page);
        assertTrue(page.contains("| `NODE_ID` | *&lt;host&gt;-&lt;relay port&gt;* |"), page);
        assertTrue(page.contains("## Routes\n"), page);
        for (final String line : page.split("\n"))
        {
            if (line.startsWith("| `"))
            {
                assertEquals(5, line.split("(?<!\\\\)\\|", -1).length - 1, "four cells: " + line);
                assertFalse(line.contains("|  |"), "no empty cell: " + line);
            }
        }
    }

    @Test
    void helpShowsWhatTheEnvironmentAndDotEnvSetWithKeysCountedAndPasswordsHidden(@TempDir final Path dir)
        throws IOException
    {
        final Path dotEnv = dir.resolve(".env");
        Files.writeString(dotEnv, "RING_SIZE=1024\nREDIS_URL=redis://u:hunter2@db:6379\nBIND_ADDR=0.0.0.0:1\n");
        final Map<String, String> shown = ConfigurationReference.setHere(
            Map.of("BIND_ADDR", "127.0.0.1:0", "API_KEYS", "key-aaaaaaaaaaaaaaaa,key-bbbbbbbbbbbbbbbb"), dotEnv);
        assertEquals("127.0.0.1:0 (environment)", shown.get("BIND_ADDR"));
        assertEquals("1024 (.env)", shown.get("RING_SIZE"));
        assertEquals("<2 keys, not shown> (environment)", shown.get("API_KEYS"));
        assertFalse(shown.get("REDIS_URL").contains("hunter2"), shown.toString());
        assertFalse(shown.containsKey("PIN_CPUS"), shown.toString());
    }
}
