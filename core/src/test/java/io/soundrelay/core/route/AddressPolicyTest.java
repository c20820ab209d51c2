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
package io.soundrelay.core.route;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which sources and targets a route request may name, and the words of each refusal.
 */
class AddressPolicyTest
{
    private static Endpoint at(final String text)
    {
        return Endpoint.parse(text);
    }

    private static String refusedTarget(final AddressPolicy policy, final String target)
    {
        final ValidationException ex =
            assertThrows(ValidationException.class, () -> policy.checkTarget(at(target), "target_addrs[2]"));
        assertEquals("target_addrs[2]", ex.field());
        assertEquals(400, ex.status());
        return ex.getMessage();
    }

    private static AddressPolicy withOwnSockets(final String relay) throws Exception
    {
        final AddressPolicy policy = AddressPolicy.defaults();
        final Endpoint bound = at(relay);
        policy.ownSockets(Map.of("BIND_ADDR", bound.socketAddress()),
            List.of(InetAddress.getByName("192.0.2.2")), List.of(InetAddress.getByName("192.0.2.255")));
        policy.ownRelayPorts(bound.socketAddress().getAddress(), port -> port == 40001);
        return policy;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0.0.0.0:5000          | is the unspecified address",
        "[::]:5000             | is the unspecified address",
        "255.255.255.255:25690 | is a broadcast address",
        "127.255.255.255:5000  | is a broadcast address",
        "192.0.2.255:5000      | is a broadcast address",
        "224.0.0.1:5000        | is a multicast address",
        "[ff02::1]:5000        | is a multicast address",
        "169.254.169.254:80    | is in TARGET_DENY (169.254.0.0/16)",
        "[fe80::1]:5000        | is in TARGET_DENY (fe80::/10)",
        "127.0.0.1:4000        | is this node's own relay socket (BIND_ADDR): a route to it would loop",
        "127.0.0.7:4000        | is this node's own relay socket (BIND_ADDR)",
        "192.0.2.2:4000        | is this node's own relay socket (BIND_ADDR)",
        "127.0.0.1:40001       | is this node's own relay port (RELAY_PORTS): a route to it would loop",
        "192.0.2.2:40001       | is this node's own relay port (RELAY_PORTS)",
    })
    void refusesTargetsARelayMustNeverSendTo(final String target, final String why) throws Exception
    {
        final String message = refusedTarget(withOwnSockets("0.0.0.0:4000"), target);
        assertTrue(message.startsWith("target_addrs[2]: " + at(target) + " " + why), message);
    }

    @Test
    void allowsLoopbackAndOrdinaryHostsAndOtherPortsOfTheNodesOwnAddresses() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("0.0.0.0:4000");
        for (final String ok : List.of("127.0.0.1:5000", "127.0.0.2:25690", "192.0.2.2:4001", "203.0.113.7:4000",
            "[::1]:5000", "[2001:db8::1]:50000", "10.1.2.3:4300"))
        {
            assertDoesNotThrow(() -> policy.checkTarget(at(ok), "target_addrs[0]"), ok);
            assertDoesNotThrow(() -> policy.checkSource(at(ok), "source_addr"), ok);
        }
    }

    /**
     * Only the node's UDP sockets are its own to a route: a UDP source or target may share its port number with the
     * node's control API or metrics listener (TCP), as an ephemeral port of a client on the same host often does.
     */
    @Test
    void aUdpAddressWithThePortNumberOfTheNodesTcpListenersIsNoneOfItsOwn() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("0.0.0.0:4000");
        for (final String ok : List.of("127.0.0.1:4300", "127.0.0.5:4300", "192.0.2.2:9100", "[::1]:4300",
            "[64:ff9b::7f00:1]:4300", "127.0.0.1:40002"))
        {
            assertDoesNotThrow(() -> policy.checkSource(at(ok), "source_addr"), ok);
            assertDoesNotThrow(() -> policy.checkTarget(at(ok), "target_addrs[0]"), ok);
        }
        final ValidationException ex = assertThrows(ValidationException.class,
            () -> policy.checkSource(at("127.0.0.5:40001"), "source_addr"));
        assertTrue(ex.getMessage().contains("is this node's own relay port (RELAY_PORTS): datagrams from it"),
            ex.getMessage());
    }

    @Test
    void aRelayBoundToOneAddressIsReachedOnThatAddressOnly() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("127.0.0.1:4000");
        assertTrue(refusedTarget(policy, "127.0.0.1:4000").contains("own relay socket"));
        assertDoesNotThrow(() -> policy.checkTarget(at("127.0.0.2:4000"), "target_addrs[0]"),
            "another loopback address does not reach a socket bound to 127.0.0.1");
    }

    @Test
    void refusesASourceThatIsTheNodesOwnSocketOrNoHost() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("0.0.0.0:4000");
        for (final String[] bad : new String[][] {
            {"127.0.0.1:4000", "is this node's own relay socket (BIND_ADDR): datagrams from it would be the node's"},
            {"0.0.0.0:6000", "is the unspecified address"},
            {"255.255.255.255:6000", "is a broadcast address; no datagram comes from it"},
            {"224.0.0.1:6000", "is a multicast address; no datagram comes from it"}})
        {
            final ValidationException ex = assertThrows(ValidationException.class,
                () -> policy.checkSource(at(bad[0]), "source_addr"));
            assertEquals("source_addr", ex.field());
            assertTrue(ex.getMessage().startsWith("source_addr: " + at(bad[0]) + " " + bad[1]), ex.getMessage());
        }
        assertDoesNotThrow(() -> policy.checkSource(at("169.254.1.1:5000"), "source_addr"),
            "TARGET_DENY is about targets");
    }

    @Test
    void targetAllowTightensAndAnEmptyDenyListLiftsTheLinkLocalDefault()
    {
        final AddressPolicy tight = new AddressPolicy(List.of(), Cidr.parseList("10.0.0.0/8, 2001:db8::/32"));
        assertDoesNotThrow(() -> tight.checkTarget(at("10.200.0.1:5000"), "t"));
        assertDoesNotThrow(() -> tight.checkTarget(at("[2001:db8::9]:5000"), "t"));
        assertTrue(refusedTarget(tight, "127.0.0.1:5000").contains("is outside TARGET_ALLOW ([10.0.0.0/8, "),
            "loopback is refused once TARGET_ALLOW leaves it out");
        assertTrue(refusedTarget(tight, "11.0.0.1:5000").contains("outside TARGET_ALLOW"));
        assertTrue(refusedTarget(tight, "255.255.255.255:5000").contains("broadcast"), "never allowed");

        final AddressPolicy open = new AddressPolicy(List.of(), List.of());
        assertDoesNotThrow(() -> open.checkTarget(at("169.254.169.254:80"), "t"));
    }

    /** The red team's accepted targets (issue 29, finding 7) and the other IPv4 embeddings: each is refused. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[64:ff9b::a9fe:a9fe]:80             | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[64:ff9b::169.254.169.254]:80       | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[64:ff9b:1::a9fe:a9fe]:80           | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[64:ff9b:1:a9fe:a9:fe00::]:80       | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[64:ff9b:1:0:a9:fea9:fe00:0]:80     | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[64:ff9b:1:abcd::a9fe:a9fe]:80      | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[2002:a9fe:a9fe::1]:80              | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[::a9fe:a9fe]:80                    | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[::ffff:0:a9fe:a9fe]:80             | is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254",
        "[::ffff:169.254.169.254]:80         | is in TARGET_DENY (169.254.0.0/16)",
        "[fd00:ec2::254]:80                  | is in TARGET_DENY (fd00:ec2::/32)",
        "[64:ff9b::ffff:ffff]:5000           | is a broadcast address (it embeds 255.255.255.255)",
        "[2002:e000:1::1]:5000               | is a multicast address (it embeds 224.0.0.1)",
        "[::ffff:0:0.0.0.0]:5000             | is the unspecified address, not a host (it embeds 0.0.0.0)",
        "[64:ff9b::192.0.2.255]:5000         | is a broadcast address (it embeds 192.0.2.255)",
        "[::ffff:0:127.0.0.1]:4000           | is this node's own relay socket (BIND_ADDR): a route to it would loop",
        "[::127.0.0.5]:4000                  | is this node's own relay socket (BIND_ADDR)",
    })
    void judgesTheIpv4AddressAnIpv6AddressEmbeds(final String target, final String why) throws Exception
    {
        final String message = refusedTarget(withOwnSockets("0.0.0.0:4000"), target);
        assertTrue(message.startsWith("target_addrs[2]: " + at(target) + " " + why), message);
    }

    @Test
    void aSourceThatEmbedsTheNodesOwnSocketOrNoHostIsRefused() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("0.0.0.0:4000");
        for (final String bad : List.of("[::ffff:0:127.0.0.1]:4000", "[64:ff9b::c000:202]:4000", "[2002:7f00:1::]:40001",
            "[::ffff:0:255.255.255.255]:6000", "[64:ff9b::e000:1]:6000"))
        {
            final ValidationException ex = assertThrows(ValidationException.class,
                () -> policy.checkSource(at(bad), "source_addr"), bad);
            assertEquals("source_addr", ex.field());
        }
    }

    @Test
    void embeddingsOfOrdinaryHostsStayAllowedAndTargetAllowSeesTheEmbeddedAddress() throws Exception
    {
        final AddressPolicy policy = withOwnSockets("0.0.0.0:4000");
        for (final String ok : List.of("[64:ff9b::203.0.113.7]:5000", "[64:ff9b:1::203.0.113.7]:5000",
            "[2002:cb00:7107::1]:5000", "[::ffff:0:203.0.113.7]:5000", "[::1]:5000", "[2001:db8::a9fe:a9fe]:5000",
            "[fd00:ec3::254]:5000"))
        {
            assertDoesNotThrow(() -> policy.checkTarget(at(ok), "target_addrs[0]"), ok);
        }
        final AddressPolicy tight = new AddressPolicy(List.of(), Cidr.parseList("10.0.0.0/8"));
        assertDoesNotThrow(() -> tight.checkTarget(at("[64:ff9b::10.1.2.3]:5000"), "t"));
        assertTrue(refusedTarget(tight, "[64:ff9b::11.1.2.3]:5000").contains("is outside TARGET_ALLOW ([10.0.0.0/8])"));
    }

    @Test
    void embeddedIpv4ReadsEachForm() throws Exception
    {
        for (final String[] form : new String[][] {
            {"64:ff9b::a9fe:a9fe", "169.254.169.254"}, {"64:ff9b:1::102:304", "1.2.3.4"},
            {"2002:102:304:5::6", "1.2.3.4"}, {"::102:304", "1.2.3.4"}, {"::ffff:0:102:304", "1.2.3.4"},
            {"::2", "0.0.0.2"}})
        {
            assertEquals(InetAddress.getByName(form[1]), AddressPolicy.embeddedIpv4(InetAddress.getByName(form[0])),
                form[0]);
        }
        for (final String none : List.of("::", "::1", "1.2.3.4", "2001:db8::102:304", "64:ff9b:2::102:304",
            "64:ff9b:0:1::102:304", "64:ff9b:1:1::102:304", "fe80::102:304"))
        {
            assertEquals(null, AddressPolicy.embeddedIpv4(InetAddress.getByName(none)), none);
        }
    }

    @Test
    void rangesParseAndMatchAsWritten() throws Exception
    {
        final Cidr v4 = Cidr.parse("192.168.4.0/22");
        assertTrue(v4.contains(InetAddress.getByName("192.168.7.255")));
        assertFalse(v4.contains(InetAddress.getByName("192.168.8.0")));
        assertFalse(v4.contains(InetAddress.getByName("::ffff:c0a8:0800")), "an IPv4-mapped address is IPv4");
        assertTrue(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")));
        assertTrue(Cidr.parse("10.0.0.5").contains(InetAddress.getByName("10.0.0.5")));
        assertFalse(Cidr.parse("10.0.0.5").contains(InetAddress.getByName("10.0.0.6")));
        assertTrue(Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::1")));
        assertFalse(Cidr.parse("fd00::/8").contains(InetAddress.getByName("10.0.0.1")));
        assertEquals(List.of(), Cidr.parseList(" "));
        for (final String bad : List.of("10.0.0.0/33", "fd00::/129", "example.com/8", "10.0.0/8", "10.0.0.0/x", "/8"))
        {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(bad), bad);
        }
    }
}
