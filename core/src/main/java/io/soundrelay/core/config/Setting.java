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

import java.util.Map;
import java.util.function.Function;

/**
 * One setting, declared once: its variable's name, its default, its bounds, its parser and its {@code --help} line.
 * Everything else is derived from the declaration: {@link Configuration}'s reading and validation (messages
 * {@code NAME=value: why}), the {@code --help} list ({@link Configuration#help()}) and the defaults and limits of
 * the data plane's context. The declarations live in the catalogues {@link DataPlaneSettings}, {@link RouteSettings},
 * {@link ApiSettings} and {@link ClusterSettings}.
 * <p>
 * A summary may say {@code {min}}, {@code {max}} and {@code {default}}: they are replaced by the declaration's own.
 *
 * @param <T> the type of the value.
 */
public final class Setting<T>
{
    /**
     * Parses a set value of one setting.
     *
     * @param <T> the type of the value.
     */
    @FunctionalInterface
    public interface Parser<T>
    {
        /**
         * @param name  the variable.
         * @param value its trimmed value.
         * @return the value.
         * @throws ConfigurationException {@code NAME=value: why} when it does not parse.
         */
        T parse(String name, String value);
    }

    private final String name;
    private final T defaultValue;
    private final String shownDefault;
    private final String summary;
    private final String expectedWhenEmpty;
    private final int min;
    private final int max;
    private final Parser<T> parser;
    private final String allowed;
    private final String details;

    private Setting(
        final String name,
        final T defaultValue,
        final String shownDefault,
        final String summary,
        final String expectedWhenEmpty,
        final int min,
        final int max,
        final Parser<T> parser)
    {
        this(name, defaultValue, shownDefault, summary, expectedWhenEmpty, min, max, parser,
            expectedWhenEmpty == null ? "" : expectedWhenEmpty, null);
    }

    private Setting(
        final String name,
        final T defaultValue,
        final String shownDefault,
        final String summary,
        final String expectedWhenEmpty,
        final int min,
        final int max,
        final Parser<T> parser,
        final String allowed,
        final String details)
    {
        this.name = name;
        this.defaultValue = defaultValue;
        this.shownDefault = shownDefault;
        this.summary = summary.replace("{min}", Integer.toString(min)).replace("{max}", Integer.toString(max))
            .replace("{default}", shownDefault);
        this.expectedWhenEmpty = expectedWhenEmpty;
        this.min = min;
        this.max = max;
        this.parser = parser;
        this.allowed = allowed.replace("{max}", Integer.toString(max));
        this.details = details == null ? null :
            details.replace("{min}", Integer.toString(min)).replace("{max}", Integer.toString(max))
                .replace("{default}", shownDefault);
    }

    /**
     * An integer within {@code min-max}.
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param min          least value.
     * @param max          greatest value.
     * @param summary      the {@code --help} line.
     * @return the declaration.
     */
    public static Setting<Integer> integer(
        final String name, final int defaultValue, final int min, final int max, final String summary)
    {
        return new Setting<>(name, defaultValue, Integer.toString(defaultValue), summary,
            "an integer " + min + "-" + max, min, max, (n, v) -> Parsers.intInRange(n, v, min, max));
    }

    /**
     * An integer within {@code min-max}, or a word that the node resolves at start-up (such as {@code auto}).
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param min          least value; above {@code wordValue}.
     * @param max          greatest value.
     * @param word         the word taken instead of a number, exactly as written.
     * @param wordValue    what the word parses to: outside {@code min-max}, so the reader can tell it apart.
     * @param summary      the {@code --help} line.
     * @return the declaration.
     */
    public static Setting<Integer> integerOrWord(
        final String name, final int defaultValue, final int min, final int max, final String word,
        final int wordValue, final String summary)
    {
        final String expected = min + "-" + max + " or " + word;
        return new Setting<>(name, defaultValue, Integer.toString(defaultValue), summary,
            "an integer " + expected, min, max,
            (n, v) ->
            {
                if (word.equals(v))
                {
                    return wordValue;
                }
                final long value = Parsers.parseSignedLong(v);
                if (value == Long.MIN_VALUE)
                {
                    throw Parsers.fail(n, v, "not an integer; expected " + expected);
                }
                if (value < min || value > max)
                {
                    throw Parsers.fail(n, v, "outside " + min + "-" + max + " (or " + word + ")");
                }
                return (int)value;
            });
    }

    /**
     * A power of two within {@code min-max}.
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param min          least value, a power of two.
     * @param max          greatest value, a power of two.
     * @param summary      the {@code --help} line.
     * @return the declaration.
     */
    public static Setting<Integer> powerOfTwo(
        final String name, final int defaultValue, final int min, final int max, final String summary)
    {
        return new Setting<>(name, defaultValue, Integer.toString(defaultValue), summary,
            "an integer " + min + "-" + max, min, max,
            (n, v) ->
            {
                final int value = Parsers.intInRange(n, v, min, max);
                if (Integer.bitCount(value) != 1)
                {
                    throw Parsers.fail(n, v, "not a power of two (" + min + ", " + (min * 2) + ", ... " + max + ")");
                }
                return value;
            }, "a power of two, " + min + "-" + max, null);
    }

    /**
     * {@code true} or {@code false}; an empty value is neither.
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param summary      the {@code --help} line.
     * @return the declaration.
     */
    public static Setting<Boolean> bool(final String name, final boolean defaultValue, final String summary)
    {
        return new Setting<>(name, defaultValue, Boolean.toString(defaultValue), summary, null, 0, 1, Parsers::bool,
            "true or false", null);
    }

    /**
     * One of a set of names.
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param choices      every value, in the order the messages list them.
     * @param nameOf       a value's name as written in the environment.
     * @param summary      the {@code --help} line.
     * @param <E>          the type of the value.
     * @return the declaration.
     */
    public static <E> Setting<E> choice(
        final String name, final E defaultValue, final E[] choices, final Function<E, String> nameOf,
        final String summary)
    {
        return choice(name, defaultValue, choices, nameOf, summary, false);
    }

    /**
     * One of a set of names, written in any case ({@code INFO} is {@code info}).
     *
     * @param name         the variable.
     * @param defaultValue its value when unset.
     * @param choices      every value, in the order the messages list them.
     * @param nameOf       a value's name as written in the environment.
     * @param summary      the {@code --help} line.
     * @param <E>          the type of the value.
     * @return the declaration.
     */
    public static <E> Setting<E> choiceIgnoringCase(
        final String name, final E defaultValue, final E[] choices, final Function<E, String> nameOf,
        final String summary)
    {
        return choice(name, defaultValue, choices, nameOf, summary, true);
    }

    private static <E> Setting<E> choice(
        final String name, final E defaultValue, final E[] choices, final Function<E, String> nameOf,
        final String summary, final boolean ignoreCase)
    {
        final StringBuilder expected = new StringBuilder();
        for (final E choice : choices)
        {
            expected.append(expected.length() == 0 ? "" : "|").append(nameOf.apply(choice));
        }
        return new Setting<>(name, defaultValue, nameOf.apply(defaultValue), summary, expected.toString(), 0, 0,
            (n, v) ->
            {
                for (final E choice : choices)
                {
                    if (ignoreCase ? nameOf.apply(choice).equalsIgnoreCase(v) : nameOf.apply(choice).equals(v))
                    {
                        return choice;
                    }
                }
                throw Parsers.fail(n, v, "expected " + expected);
            }, "one of " + expected.toString().replace("|", ", ") + (ignoreCase ? ", in any case" : ""), null);
    }

    /**
     * A value of its own syntax whose default is written as in the environment.
     *
     * @param name              the variable.
     * @param defaultText       its value when unset, as written in the environment (and shown by {@code --help}).
     * @param expectedWhenEmpty what an empty value is refused for ({@code empty; expected ...}), or null when the
     *                          parser takes an empty value (as "none").
     * @param parser            the parser, of set values and of the default.
     * @param summary           the {@code --help} line.
     * @param <T>               the type of the value.
     * @return the declaration.
     */
    public static <T> Setting<T> parsed(
        final String name, final String defaultText, final String expectedWhenEmpty, final Parser<T> parser,
        final String summary)
    {
        return new Setting<>(
            name, parser.parse(name, defaultText), defaultText, summary, expectedWhenEmpty, 0, 0, parser);
    }

    /**
     * A value of its own syntax that is null when unset (the node derives it, or goes without).
     *
     * @param name              the variable.
     * @param shownDefault      what {@code --help} shows for its default.
     * @param expectedWhenEmpty what an empty value is refused for, or null when the parser takes it.
     * @param parser            the parser of set values.
     * @param summary           the {@code --help} line.
     * @param <T>               the type of the value.
     * @return the declaration.
     */
    public static <T> Setting<T> optional(
        final String name, final String shownDefault, final String expectedWhenEmpty, final Parser<T> parser,
        final String summary)
    {
        return new Setting<>(name, null, shownDefault, summary, expectedWhenEmpty, 0, 0, parser);
    }

    /**
     * A check of a parsed value beyond its bounds.
     *
     * @param <T> the type of the value.
     */
    @FunctionalInterface
    public interface Check<T>
    {
        /**
         * @param name  the variable.
         * @param value the parsed value.
         * @throws ConfigurationException {@code NAME=value: why} when the value is refused.
         */
        void check(String name, T value);
    }

    /**
     * @param check what a parsed value must pass too.
     * @return the same declaration with the check after its parser.
     */
    Setting<T> checked(final Check<T> check)
    {
        return new Setting<>(name, defaultValue, shownDefault, summary, expectedWhenEmpty, min, max,
            (n, v) ->
            {
                final T value = parser.parse(n, v);
                check.check(n, value);
                return value;
            }, allowed, details);
    }

    /**
     * @param text what the reference page says a value may be, when the parser's own words do not say it; it may
     *             say {@code {max}}.
     * @return the same declaration with that text.
     */
    Setting<T> allowing(final String text)
    {
        return new Setting<>(
            name, defaultValue, shownDefault, summary, expectedWhenEmpty, min, max, parser, text, details);
    }

    /**
     * @param text what the reference page says the setting does, in full, when the {@code --help} line is too short
     *             for a user who meets the setting for the first time; it may say {@code {min}}, {@code {max}} and
     *             {@code {default}}.
     * @return the same declaration with that text.
     */
    Setting<T> explained(final String text)
    {
        return new Setting<>(
            name, defaultValue, shownDefault, summary, expectedWhenEmpty, min, max, parser, allowed, text);
    }

    /**
     * @param shown what {@code --help} shows for the default (e.g. {@code empty}).
     * @return the same declaration with that shown default.
     */
    Setting<T> shownAs(final String shown)
    {
        return new Setting<>(name, defaultValue, shown, summary, expectedWhenEmpty, min, max, parser, allowed, details);
    }

    /**
     * @param values the merged variables.
     * @return the setting's value: its default when unset, else the parsed value.
     * @throws ConfigurationException {@code NAME=value: why} when the value does not parse.
     */
    public T read(final Map<String, String> values)
    {
        final String raw = values.get(name);
        if (raw == null)
        {
            return defaultValue;
        }
        final String value = raw.strip();
        if (value.isEmpty() && expectedWhenEmpty != null)
        {
            throw Parsers.fail(name, value, "empty; expected " + expectedWhenEmpty);
        }
        return parser.parse(name, value);
    }

    /**
     * @param values the merged variables.
     * @return whether they set this variable to anything but blank.
     */
    public boolean isSet(final Map<String, String> values)
    {
        final String value = values.get(name);
        return value != null && !value.strip().isEmpty();
    }

    /**
     * Check an integer given in code (the data plane's context, a test) as if it had been set in the environment:
     * the same bounds and checks, the same message.
     *
     * @param value the value.
     * @return the value.
     * @throws IllegalArgumentException {@code NAME=value: why} when the declaration refuses it.
     */
    public int require(final int value)
    {
        try
        {
            parser.parse(name, Integer.toString(value));
            return value;
        }
        catch (final ConfigurationException ex)
        {
            throw new IllegalArgumentException(ex.getMessage(), ex);
        }
    }

    /**
     * @return the variable's name.
     */
    public String name()
    {
        return name;
    }

    /**
     * @return the value when unset; null when the node derives it.
     */
    public T defaultValue()
    {
        return defaultValue;
    }

    /**
     * @return least value of an integer setting.
     */
    public int min()
    {
        return min;
    }

    /**
     * @return greatest value of an integer setting.
     */
    public int max()
    {
        return max;
    }

    /**
     * @return the setting's line of {@code --help}.
     */
    public Configuration.Help help()
    {
        return new Configuration.Help(name, shownDefault, summary);
    }

    /**
     * @return what a value may be, as the reference page shows it (e.g. {@code 1-64}, {@code true or false}).
     */
    public String allowed()
    {
        return allowed;
    }

    /**
     * @return what the setting does, as the reference page shows it: the full text when the declaration has one,
     * else the {@code --help} line.
     */
    public String description()
    {
        return details != null ? details : summary;
    }

    @Override
    public String toString()
    {
        return name;
    }
}
