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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .env} file: {@code KEY=VALUE} lines, {@code #} comments, blank lines, an optional {@code export }
 * prefix, values optionally in single or double quotes. Its messages never quote a line, which may hold a secret.
 */
final class DotEnv
{
    private DotEnv()
    {
    }

    /**
     * @param file to read.
     * @return its variables in file order; for a variable set twice, the last value.
     * @throws ConfigurationException naming the line that is not {@code KEY=VALUE}, or when the file cannot be read.
     */
    static Map<String, String> read(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException(file + ": cannot read: " + ex, ex);
        }
        final Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++)
        {
            String line = lines.get(i);
            if (i == 0 && line.startsWith("\uFEFF"))
            {
                line = line.substring(1);
            }
            line = line.strip();
            if (line.isEmpty() || line.charAt(0) == '#')
            {
                continue;
            }
            if (line.startsWith("export ") || line.startsWith("export\t"))
            {
                line = line.substring(7).stripLeading();
            }
            final String where = file + " line " + (i + 1) + ": ";
            final int equals = line.indexOf('=');
            if (equals < 0)
            {
                throw new ConfigurationException(where + "expected KEY=VALUE");
            }
            final String key = line.substring(0, equals).strip();
            if (!isVariableName(key))
            {
                throw new ConfigurationException(
                    where + "the name before '=' is not a variable name [A-Za-z_][A-Za-z0-9_]*");
            }
            values.put(key, dotEnvValue(line.substring(equals + 1).strip(), where));
        }
        return values;
    }

    private static String dotEnvValue(final String raw, final String where)
    {
        if (raw.isEmpty())
        {
            return raw;
        }
        final char quote = raw.charAt(0);
        if (quote != '"' && quote != '\'')
        {
            // An unquoted value ends at a comment: a '#' after whitespace.
            for (int i = 1; i < raw.length(); i++)
            {
                if (raw.charAt(i) == '#' && Character.isWhitespace(raw.charAt(i - 1)))
                {
                    return raw.substring(0, i).stripTrailing();
                }
            }
            return raw;
        }

        final StringBuilder value = new StringBuilder(raw.length());
        int i = 1;
        while (true)
        {
            if (i >= raw.length())
            {
                throw new ConfigurationException(where + "the value has no closing " + quote);
            }
            final char c = raw.charAt(i++);
            if (c == quote)
            {
                break;
            }
            if (c == '\\' && quote == '"' && i < raw.length())
            {
                final char escaped = raw.charAt(i++);
                switch (escaped)
                {
                    case 'n':
                        value.append('\n');
                        break;
                    case 't':
                        value.append('\t');
                        break;
                    case '"':
                    case '\\':
                        value.append(escaped);
                        break;
                    default:
                        value.append('\\').append(escaped);
                }
            }
            else
            {
                value.append(c);
            }
        }
        final String rest = raw.substring(i).strip();
        if (!rest.isEmpty() && rest.charAt(0) != '#')
        {
            throw new ConfigurationException(where + "text after the closing " + quote);
        }
        return value.toString();
    }

    private static boolean isVariableName(final String key)
    {
        if (key.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < key.length(); i++)
        {
            final char c = key.charAt(i);
            final boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
            if (!letter && (i == 0 || c < '0' || c > '9'))
            {
                return false;
            }
        }
        return true;
    }
}
