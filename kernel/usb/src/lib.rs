//! Typed USB descriptors (the paper's section 4.2): structures instead of byte arrays.
//!
//! A USB device driver describes itself with these types and serialises them into the
//! exact little-endian wire layout the USB 2.0 specification defines (chapter 9), so a
//! wrong length or a misplaced field is a type error rather than a silent byte slip.
//!
//! This is a crate of its own, outside the kernel core: no board has a USB device driver
//! yet (the nRF52840's USBD is not driven), and the core keeps only what every board runs.
//! A USB capsule would depend on it.
//!
//! ```
//! use usb::{DeviceDescriptor, Descriptor};
//! let d = DeviceDescriptor { vendor_id: 0x6667, product_id: 0xabcd, ..DeviceDescriptor::default() };
//! let mut buf = [0u8; 18];
//! assert_eq!(d.write_to(&mut buf), Some(18));
//! assert_eq!(buf[1], 1); // DEVICE descriptor type
//! ```

#![no_std]
#![forbid(unsafe_code)]

/// Descriptor type numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DescriptorType {
    /// Device.
    Device = 1,
    /// Configuration.
    Configuration = 2,
    /// String.
    String = 3,
    /// Interface.
    Interface = 4,
    /// Endpoint.
    Endpoint = 5,
}

/// Transfer types of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum TransferType {
    /// Control.
    Control = 0,
    /// Isochronous.
    Isochronous = 1,
    /// Bulk.
    Bulk = 2,
    /// Interrupt.
    Interrupt = 3,
}

/// Direction of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Host to device.
    Out,
    /// Device to host.
    In,
}

/// Serialisation shared by all descriptors.
pub trait Descriptor {
    /// Bytes on the wire.
    fn size(&self) -> usize;
    /// Writes the descriptor; `None` when `buf` is too small.
    fn write_to(&self, buf: &mut [u8]) -> Option<usize>;
}

fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}

/// The device descriptor (18 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceDescriptor {
    /// bcdUSB.
    pub usb_release: u16,
    /// Class, subclass, protocol.
    pub class: u8,
    /// Subclass.
    pub subclass: u8,
    /// Protocol.
    pub protocol: u8,
    /// Endpoint 0 packet size (8, 16, 32 or 64).
    pub max_packet_size_ep0: u8,
    /// Vendor.
    pub vendor_id: u16,
    /// Product.
    pub product_id: u16,
    /// bcdDevice.
    pub device_release: u16,
    /// String indices.
    pub manufacturer_string: u8,
    /// Product string index.
    pub product_string: u8,
    /// Serial string index.
    pub serial_number_string: u8,
    /// Configurations.
    pub num_configurations: u8,
}

impl Default for DeviceDescriptor {
    fn default() -> Self {
        DeviceDescriptor {
            usb_release: 0x0200,
            class: 0,
            subclass: 0,
            protocol: 0,
            max_packet_size_ep0: 64,
            vendor_id: 0,
            product_id: 0,
            device_release: 0x0001,
            manufacturer_string: 0,
            product_string: 0,
            serial_number_string: 0,
            num_configurations: 1,
        }
    }
}

impl Descriptor for DeviceDescriptor {
    fn size(&self) -> usize {
        18
    }
    fn write_to(&self, b: &mut [u8]) -> Option<usize> {
        if b.len() < 18 {
            return None;
        }
        b[0] = 18;
        b[1] = DescriptorType::Device as u8;
        put16(b, 2, self.usb_release);
        b[4] = self.class;
        b[5] = self.subclass;
        b[6] = self.protocol;
        b[7] = self.max_packet_size_ep0;
        put16(b, 8, self.vendor_id);
        put16(b, 10, self.product_id);
        put16(b, 12, self.device_release);
        b[14] = self.manufacturer_string;
        b[15] = self.product_string;
        b[16] = self.serial_number_string;
        b[17] = self.num_configurations;
        Some(18)
    }
}

/// The configuration descriptor (9 bytes; `total_length` covers what follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigurationDescriptor {
    /// Interfaces in this configuration.
    pub num_interfaces: u8,
    /// bConfigurationValue.
    pub configuration_value: u8,
    /// String index.
    pub string_index: u8,
    /// Self-powered, remote wakeup.
    pub attributes: u8,
    /// Current in 2 mA units.
    pub max_power: u8,
    /// Bytes of this descriptor plus its interfaces and endpoints.
    pub total_length: u16,
}

impl Descriptor for ConfigurationDescriptor {
    fn size(&self) -> usize {
        9
    }
    fn write_to(&self, b: &mut [u8]) -> Option<usize> {
        if b.len() < 9 {
            return None;
        }
        b[0] = 9;
        b[1] = DescriptorType::Configuration as u8;
        put16(b, 2, self.total_length);
        b[4] = self.num_interfaces;
        b[5] = self.configuration_value;
        b[6] = self.string_index;
        b[7] = 0x80 | self.attributes;
        b[8] = self.max_power;
        Some(9)
    }
}

/// An interface descriptor (9 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterfaceDescriptor {
    /// bInterfaceNumber.
    pub interface_number: u8,
    /// bAlternateSetting.
    pub alternate_setting: u8,
    /// Endpoints besides endpoint 0.
    pub num_endpoints: u8,
    /// Class.
    pub class: u8,
    /// Subclass.
    pub subclass: u8,
    /// Protocol.
    pub protocol: u8,
    /// String index.
    pub string_index: u8,
}

impl Descriptor for InterfaceDescriptor {
    fn size(&self) -> usize {
        9
    }
    fn write_to(&self, b: &mut [u8]) -> Option<usize> {
        if b.len() < 9 {
            return None;
        }
        b[0] = 9;
        b[1] = DescriptorType::Interface as u8;
        b[2] = self.interface_number;
        b[3] = self.alternate_setting;
        b[4] = self.num_endpoints;
        b[5] = self.class;
        b[6] = self.subclass;
        b[7] = self.protocol;
        b[8] = self.string_index;
        Some(9)
    }
}

/// An endpoint descriptor (7 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointDescriptor {
    /// Endpoint number 1..15.
    pub number: u8,
    /// Direction.
    pub direction: Direction,
    /// Transfer type.
    pub transfer_type: TransferType,
    /// Largest packet.
    pub max_packet_size: u16,
    /// Polling interval.
    pub interval: u8,
}

impl Descriptor for EndpointDescriptor {
    fn size(&self) -> usize {
        7
    }
    fn write_to(&self, b: &mut [u8]) -> Option<usize> {
        if b.len() < 7 {
            return None;
        }
        b[0] = 7;
        b[1] = DescriptorType::Endpoint as u8;
        b[2] = (self.number & 0x0f)
            | if self.direction == Direction::In {
                0x80
            } else {
                0
            };
        b[3] = self.transfer_type as u8;
        put16(b, 4, self.max_packet_size);
        b[6] = self.interval;
        Some(7)
    }
}

/// Writes a configuration followed by its interfaces and endpoints, filling in `total_length`.
pub fn write_configuration(
    config: &ConfigurationDescriptor,
    interfaces: &[(InterfaceDescriptor, &[EndpointDescriptor])],
    buf: &mut [u8],
) -> Option<usize> {
    let total: usize = 9 + interfaces
        .iter()
        .map(|(_, eps)| 9 + 7 * eps.len())
        .sum::<usize>();
    if buf.len() < total || total > u16::MAX as usize {
        return None;
    }
    let mut c = *config;
    c.total_length = total as u16;
    c.num_interfaces = interfaces.len() as u8;
    let mut off = c.write_to(buf)?;
    for (iface, eps) in interfaces {
        let mut i = *iface;
        i.num_endpoints = eps.len() as u8;
        off += i.write_to(&mut buf[off..])?;
        for e in eps.iter() {
            off += e.write_to(&mut buf[off..])?;
        }
    }
    Some(off)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn configuration_bundle() {
        let cfg = ConfigurationDescriptor {
            num_interfaces: 0,
            configuration_value: 1,
            string_index: 0,
            attributes: 0,
            max_power: 50,
            total_length: 0,
        };
        let iface = InterfaceDescriptor {
            interface_number: 0,
            alternate_setting: 0,
            num_endpoints: 0,
            class: 0xff,
            subclass: 0,
            protocol: 0,
            string_index: 0,
        };
        let eps = [
            EndpointDescriptor {
                number: 1,
                direction: Direction::In,
                transfer_type: TransferType::Bulk,
                max_packet_size: 64,
                interval: 0,
            },
            EndpointDescriptor {
                number: 2,
                direction: Direction::Out,
                transfer_type: TransferType::Bulk,
                max_packet_size: 64,
                interval: 0,
            },
        ];
        let mut buf = [0u8; 64];
        let n = write_configuration(&cfg, &[(iface, &eps)], &mut buf).unwrap();
        assert_eq!(n, 9 + 9 + 14);
        assert_eq!(u16::from_le_bytes([buf[2], buf[3]]) as usize, n);
        assert_eq!(buf[4], 1);
        assert_eq!(buf[9 + 4], 2);
        assert_eq!(buf[18 + 2], 0x81);
        assert_eq!(buf[25 + 2], 0x02);
        assert!(write_configuration(&cfg, &[(iface, &eps)], &mut buf[..20]).is_none());
        let mut small = [0u8; 4];
        assert_eq!(DeviceDescriptor::default().write_to(&mut small), None);
    }
}
