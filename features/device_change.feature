Feature: Changing devices
  To use the portal on another device, the customer asks for a login link and opens it there.

  @DEV-1 @must
  Scenario: A customer verifies a new device with a login link
    Given Ada accepted her invitation on her laptop
    And she asked for a login link from the verify page on her phone
    When she opens her login link on her phone
    Then her phone shows her account
    And her management URL still opens her account on her laptop

  @DEV-2 @must
  Scenario: A login link asked for on one device signs in the device that opens it
    Given Ada was invited
    And she asked for a login link on her laptop
    When she opens her login link on her phone
    Then her phone shows her account
