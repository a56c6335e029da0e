// The nRF52840 (and nRF52833) register description, compact: the source of resources/svd/*.svd.
//
// Written by us from the nRF52840 Product Specification v1.x (PS): the "Instantiation" table
// (§6 "Peripherals", IDs and base addresses) and each chapter's "Registers" tables (offsets,
// reset values, field layouts and value names). Descriptions are our own short words.
// scripts/svd-gen.mjs turns `device(variant)` into CMSIS-SVD 1.3 XML; the emulator's access log
// names registers from that XML and emulator/peripherals/nrf/svd-agreement.test.ts checks it
// against the peripheral models' *_REGISTERS tables.
// `device('nrf52833')` gives the micro:bit v2 chip (nrf52833.svd): the same peripherals minus
// QSPI and CryptoCell, with the nRF52833's FICR part number and memory sizes.
//
// Conventions used below:
// - reg(name, offset, access, reset, description, fields, extra): one register. A dotted name
//   (RXD.PTR, CH[%s].EEP) becomes an SVD cluster; `[%s]` with extra.dim = [count, stride] an array.
// - fld(name, lsb, width, values, description): one field; `values` is {Name: value} (both
//   directions) or [{usage: 'read'|'write', values: {...}}].
// - nrf({...}): a peripheral in the PS's common shape (§6.1 "Peripheral interface"): tasks at
//   0x000-0x07C, events at 0x100-0x17C, SHORTS at 0x200, INTEN/INTENSET/INTENCLR at
//   0x300/0x304/0x308 with bit n enabling the event at 0x100 + 4n.
// - Modelled peripherals list every register their model has, plus the PS registers the model
//   leaves out (the agreement test lists those as exceptions). Recorded-only peripherals (the
//   emulator stores their writes without behaviour) carry at least their tasks, events,
//   interrupt enables and ENABLE register.

const RO = 'read-only';
const WO = 'write-only';
const RW = 'read-write';

/** @returns a register description */
export function reg(name, offset, access, reset, description, fields = [], extra = {}) {
  return { name, offset, access, reset, description, fields, ...extra };
}

/** @returns a field description */
export function fld(name, lsb, width, values, description, extra = {}) {
  return { name, lsb, width, values, description, ...extra };
}

const DISEN = { Disabled: 0, Enabled: 1 };

/** Index range 0..n-1. */
const range = (n) => Array.from({ length: n }, (_, i) => i);

/** Element name of an array item: COMPARE[%s] -> COMPARE2, CH[%s].LIMITH -> CH2LIMITH. */
const flat = (name, i) => name.replace('[%s]', String(i)).replace('.', '');

/** Expand a task/event entry [name, offset, description, count?, stride?] into its elements. */
function elements([name, offset, description, count, stride = 4]) {
  if (count === undefined) return [{ name, offset, description }];
  return range(count).map((i) => ({
    name: flat(name, i),
    offset: offset + i * stride,
    description,
  }));
}

function taskReg([name, offset, description, count, stride = 4]) {
  const field = name.replace('[%s]', '').replace('.', '_');
  return reg(
    `TASKS_${name}`,
    offset,
    WO,
    0,
    description,
    [fld(`TASKS_${field}`, 0, 1, [{ usage: 'write', values: { Trigger: 1 } }], description)],
    count === undefined ? {} : { dim: [count, stride] },
  );
}

function eventReg([name, offset, description, count, stride = 4]) {
  const field = name.replace('[%s]', '').replace('.', '_');
  return reg(
    `EVENTS_${name}`,
    offset,
    RW,
    0,
    description,
    [fld(`EVENTS_${field}`, 0, 1, { NotGenerated: 0, Generated: 1 }, description)],
    count === undefined ? {} : { dim: [count, stride] },
  );
}

/** INTEN / INTENSET / INTENCLR for the given events (bit = event index). */
function intenRegs(events, which) {
  const bits = events.flatMap(elements).map((e) => ({ ...e, bit: (e.offset - 0x100) / 4 }));
  const make = (name, offset, description, write) =>
    reg(
      name,
      offset,
      RW,
      0,
      description,
      bits.map((b) =>
        fld(
          b.name,
          b.bit,
          1,
          write
            ? [
                { usage: 'read', values: DISEN },
                { usage: 'write', values: write },
              ]
            : DISEN,
          `Interrupt for event ${b.name}`,
        ),
      ),
    );
  const out = [];
  if (which === 'all') out.push(make('INTEN', 0x300, 'Enable or disable interrupts', null));
  out.push(make('INTENSET', 0x304, 'Enable interrupts: write 1 to set', { Set: 1 }));
  out.push(make('INTENCLR', 0x308, 'Disable interrupts: write 1 to clear', { Clear: 1 }));
  return out;
}

function shortsReg(shorts) {
  return reg(
    'SHORTS',
    0x200,
    RW,
    0,
    'Shortcuts between local events and tasks',
    shorts.map(([bit, name]) => fld(name, bit, 1, DISEN, `Shortcut ${name.replace('_', ' -> ')}`)),
  );
}

/**
 * A peripheral in the common nRF shape. `irq` is [name] (value = ID from the base address) or
 * omitted for peripherals without an interrupt.
 */
export function nrf(p) {
  const {
    tasks = [],
    events = [],
    shorts,
    inten = events.length > 0 ? 'set' : undefined,
    regs = [],
    ...rest
  } = p;
  const registers = [
    ...tasks.map(taskReg),
    ...events.map(eventReg),
    ...(shorts ? [shortsReg(shorts)] : []),
    ...(inten ? intenRegs(events, inten) : []),
    ...regs,
  ];
  return { ...rest, registers };
}

/** A 32-bit register with one field per bit, PIN0..PIN31 style. */
function bitsReg(name, offset, access, reset, description, prefix, count, values) {
  return reg(
    name,
    offset,
    access,
    reset,
    description,
    range(count).map((i) => fld(`${prefix}${i}`, i, 1, values)),
  );
}

/** PSEL-style pin select: PIN, PORT, CONNECT (reset: disconnected). */
const pselFields = [
  fld('PIN', 0, 5, undefined, 'Pin number'),
  fld('PORT', 5, 1, undefined, 'Port number'),
  fld('CONNECT', 31, 1, { Connected: 0, Disconnected: 1 }, 'Connection'),
];
const psel = (name, offset, description) =>
  reg(name, offset, RW, 0xffffffff, description, pselFields);

/** EasyDMA channel registers PTR/MAXCNT/AMOUNT under `cluster`. */
function dma(cluster, base, maxBits = 16) {
  return [
    reg(`${cluster}.PTR`, base, RW, 0, 'Data pointer (Data RAM only)', [fld('PTR', 0, 32)]),
    reg(`${cluster}.MAXCNT`, base + 4, RW, 0, 'Maximum number of bytes in the buffer', [
      fld('MAXCNT', 0, maxBits),
    ]),
    reg(
      `${cluster}.AMOUNT`,
      base + 8,
      RO,
      0,
      'Number of bytes transferred in the last transaction',
      [fld('AMOUNT', 0, maxBits)],
    ),
  ];
}

const enableReg = (enabled, description = 'Enable the peripheral') =>
  reg('ENABLE', 0x500, RW, 0, description, [fld('ENABLE', 0, 4, { Disabled: 0, ...enabled })]);

// ---------------------------------------------------------------------------------------------
// Modelled peripherals

const CLOCK_EVENTS = [
  ['HFCLKSTARTED', 0x100, 'HFXO crystal oscillator started'],
  ['LFCLKSTARTED', 0x104, 'LFCLK started'],
  ['DONE', 0x10c, 'Calibration of the LFRC oscillator complete'],
  ['CTTO', 0x110, 'Calibration timer timeout'],
  ['CTSTARTED', 0x128, 'Calibration timer has been started and is ready to process new tasks'],
  ['CTSTOPPED', 0x12c, 'Calibration timer has been stopped and is ready to process new tasks'],
];
const LFSRC = { RC: 0, Xtal: 1, Synth: 2 };

const clock = nrf({
  name: 'CLOCK',
  base: 0x40000000,
  irq: 'POWER_CLOCK',
  group: 'CLOCK',
  description: 'Clock control: high- and low-frequency clock sources and LFRC calibration',
  tasks: [
    ['HFCLKSTART', 0x000, 'Start the HFXO crystal oscillator'],
    ['HFCLKSTOP', 0x004, 'Stop the HFXO crystal oscillator'],
    ['LFCLKSTART', 0x008, 'Start LFCLK from the source in LFCLKSRC'],
    ['LFCLKSTOP', 0x00c, 'Stop LFCLK'],
    ['CAL', 0x010, 'Start calibration of the LFRC oscillator'],
    ['CTSTART', 0x014, 'Start the calibration timer'],
    ['CTSTOP', 0x018, 'Stop the calibration timer'],
  ],
  events: CLOCK_EVENTS,
  regs: [
    reg('HFCLKRUN', 0x408, RO, 0, 'Whether HFCLKSTART has been triggered', [
      fld('STATUS', 0, 1, { NotTriggered: 0, Triggered: 1 }),
    ]),
    reg('HFCLKSTAT', 0x40c, RO, 0, 'HFCLK status', [
      fld('SRC', 0, 1, { RC: 0, Xtal: 1 }, 'Source of HFCLK'),
      fld('STATE', 16, 1, { NotRunning: 0, Running: 1 }, 'HFCLK state'),
    ]),
    reg('LFCLKRUN', 0x414, RO, 0, 'Whether LFCLKSTART has been triggered', [
      fld('STATUS', 0, 1, { NotTriggered: 0, Triggered: 1 }),
    ]),
    reg('LFCLKSTAT', 0x418, RO, 0, 'LFCLK status', [
      fld('SRC', 0, 2, LFSRC, 'Source of LFCLK'),
      fld('STATE', 16, 1, { NotRunning: 0, Running: 1 }, 'LFCLK state'),
    ]),
    reg('LFCLKSRCCOPY', 0x41c, RO, 0, 'Copy of LFCLKSRC taken when LFCLKSTART was triggered', [
      fld('SRC', 0, 2, LFSRC),
    ]),
    reg('LFCLKSRC', 0x518, RW, 0, 'Clock source for LFCLK', [
      fld('SRC', 0, 2, LFSRC),
      fld('BYPASS', 16, 1, DISEN, 'Bypass the crystal oscillator with an external clock'),
      fld('EXTERNAL', 17, 1, DISEN, 'Use an external source'),
    ]),
    reg('HFXODEBOUNCE', 0x528, RW, 0x10, 'HFXO debounce time', [
      fld('HFXODEBOUNCE', 0, 8, { Db256us: 0x10, Db1024us: 0x40 }, 'Debounce time in 16 us units'),
    ]),
    reg('CTIV', 0x538, RW, 0, 'Calibration timer interval', [
      fld('CTIV', 0, 7, undefined, 'Interval in 0.25 s units'),
    ]),
    reg('TRACECONFIG', 0x55c, RW, 0, 'Trace port clock and pin multiplexing', [
      fld('TRACEPORTSPEED', 0, 2, { MHz32: 0, MHz16: 1, MHz8: 2, MHz4: 3 }),
      fld('TRACEMUX', 16, 2, { GPIO: 0, Serial: 1, Parallel: 2 }),
    ]),
    reg('LFRCMODE', 0x5b4, RW, 0, 'LFRC oscillator mode', [
      fld('MODE', 0, 1, { Normal: 0, ULP: 1 }),
      fld('STATUS', 16, 1, { Normal: 0, ULP: 1 }, 'Active mode', { access: RO }),
    ]),
  ],
});

const ramPower = (write) =>
  range(16)
    .map((s) =>
      fld(`S${s}POWER`, s, 1, write ?? { Off: 0, On: 1 }, `RAM section S${s} in System ON`),
    )
    .concat(
      range(16).map((s) =>
        fld(`S${s}RETENTION`, 16 + s, 1, write ?? { Off: 0, On: 1 }, `Keep S${s} in System OFF`),
      ),
    );

const power = nrf({
  name: 'POWER',
  base: 0x40000000,
  irq: 'POWER_CLOCK',
  group: 'POWER',
  description: 'Power control: supply supervision, sleep, reset reasons and RAM power',
  tasks: [
    ['CONSTLAT', 0x078, 'Enable the constant latency mode'],
    ['LOWPWR', 0x07c, 'Enable the low power mode (variable latency)'],
  ],
  events: [
    ['POFWARN', 0x108, 'Supply voltage below the power-failure threshold'],
    ['SLEEPENTER', 0x114, 'CPU entered WFI/WFE sleep'],
    ['SLEEPEXIT', 0x118, 'CPU exited WFI/WFE sleep'],
    ['USBDETECTED', 0x11c, 'VBUS rose above its valid threshold'],
    ['USBREMOVED', 0x120, 'VBUS fell below its valid threshold'],
    ['USBPWRRDY', 0x124, 'USB 3.3 V supply ready'],
  ],
  regs: [
    reg(
      'RESETREAS',
      0x400,
      RW,
      0,
      'Reset reason: bits stay set until cleared by writing 1 (or by a power-on/brownout reset)',
      [
        ['RESETPIN', 0],
        ['DOG', 1],
        ['SREQ', 2],
        ['LOCKUP', 3],
        ['OFF', 16],
        ['LPCOMP', 17],
        ['DIF', 18],
        ['NFC', 19],
        ['VBUS', 20],
      ].map(([n, b]) => fld(n, b, 1, { NotDetected: 0, Detected: 1 })),
      { modifiedWriteValues: 'oneToClear' },
    ),
    reg('RAMSTATUS', 0x428, RO, 0, 'RAM status (deprecated)', [
      fld('RAMBLOCK0', 0, 1, { Off: 0, On: 1 }),
      fld('RAMBLOCK1', 1, 1, { Off: 0, On: 1 }),
      fld('RAMBLOCK2', 2, 1, { Off: 0, On: 1 }),
      fld('RAMBLOCK3', 3, 1, { Off: 0, On: 1 }),
    ]),
    reg('USBREGSTATUS', 0x438, RO, 0, 'USB supply status', [
      fld('VBUSDETECT', 0, 1, { NoVbus: 0, VbusPresent: 1 }),
      fld('OUTPUTRDY', 1, 1, { NotReady: 0, Ready: 1 }),
    ]),
    reg('SYSTEMOFF', 0x500, WO, 0, 'Enter System OFF', [
      fld('SYSTEMOFF', 0, 1, [{ usage: 'write', values: { Enter: 1 } }]),
    ]),
    reg('POFCON', 0x510, RW, 0, 'Power-failure comparator configuration', [
      fld('POF', 0, 1, DISEN),
      fld(
        'THRESHOLD',
        1,
        4,
        Object.fromEntries(range(12).map((i) => [`V${17 + i}`, 4 + i])),
        'VDD threshold',
      ),
      fld(
        'THRESHOLDVDDH',
        8,
        4,
        Object.fromEntries(range(16).map((i) => [`V${27 + i}`, i])),
        'VDDH threshold',
      ),
    ]),
    reg('GPREGRET', 0x51c, RW, 0, 'General purpose retention register', [fld('GPREGRET', 0, 8)]),
    reg('GPREGRET2', 0x520, RW, 0, 'General purpose retention register', [fld('GPREGRET', 0, 8)]),
    reg('DCDCEN', 0x578, RW, 0, 'DC/DC converter for REG1 (stage 1)', [fld('DCDCEN', 0, 1, DISEN)]),
    reg('DCDCEN0', 0x580, RW, 0, 'DC/DC converter for REG0 (stage 0)', [
      fld('DCDCEN', 0, 1, DISEN),
    ]),
    reg('MAINREGSTATUS', 0x640, RO, 0, 'Main supply status', [
      fld('MAINREGSTATUS', 0, 1, { Normal: 0, High: 1 }, 'High voltage mode (VDDH supplied)'),
    ]),
    reg('RAM[%s].POWER', 0x900, RW, 0xffff, 'RAMn power control', ramPower(), { dim: [9, 0x10] }),
    reg(
      'RAM[%s].POWERSET',
      0x904,
      WO,
      0xffff,
      'RAMn power control: write 1 to set',
      ramPower([{ usage: 'write', values: { On: 1 } }]),
      { dim: [9, 0x10] },
    ),
    reg(
      'RAM[%s].POWERCLR',
      0x908,
      WO,
      0xffff,
      'RAMn power control: write 1 to clear',
      ramPower([{ usage: 'write', values: { Off: 1 } }]),
      { dim: [9, 0x10] },
    ),
  ],
});

const BAUD_UARTE = {
  Baud1200: 0x0004f000,
  Baud2400: 0x0009d000,
  Baud4800: 0x0013b000,
  Baud9600: 0x00275000,
  Baud14400: 0x003af000,
  Baud19200: 0x004ea000,
  Baud28800: 0x0075c000,
  Baud31250: 0x00800000,
  Baud38400: 0x009d0000,
  Baud56000: 0x00e50000,
  Baud57600: 0x00eb0000,
  Baud76800: 0x013a9000,
  Baud115200: 0x01d60000,
  Baud230400: 0x03b00000,
  Baud250000: 0x04000000,
  Baud460800: 0x07400000,
  Baud921600: 0x0f000000,
  Baud1M: 0x10000000,
};
const BAUD_UART = {
  Baud1200: 0x0004f000,
  Baud2400: 0x0009d000,
  Baud4800: 0x0013b000,
  Baud9600: 0x00275000,
  Baud14400: 0x003b0000,
  Baud19200: 0x004ea000,
  Baud28800: 0x0075f000,
  Baud31250: 0x00800000,
  Baud38400: 0x009d5000,
  Baud56000: 0x00e50000,
  Baud57600: 0x00ebf000,
  Baud76800: 0x013a9000,
  Baud115200: 0x01d7e000,
  Baud230400: 0x03afb000,
  Baud250000: 0x04000000,
  Baud460800: 0x075f7000,
  Baud921600: 0x0ebed000,
  Baud1M: 0x10000000,
};

const uartCommon = (baud) => [
  reg(
    'ERRORSRC',
    0x480,
    RW,
    0,
    'Error source: bits stay set until cleared by writing 1',
    ['OVERRUN', 'PARITY', 'FRAMING', 'BREAK'].map((n, b) =>
      fld(n, b, 1, { NotPresent: 0, Present: 1 }),
    ),
    { modifiedWriteValues: 'oneToClear' },
  ),
  psel('PSEL.RTS', 0x508, 'Pin select for RTS'),
  psel('PSEL.TXD', 0x50c, 'Pin select for TXD'),
  psel('PSEL.CTS', 0x510, 'Pin select for CTS'),
  psel('PSEL.RXD', 0x514, 'Pin select for RXD'),
  reg('BAUDRATE', 0x524, RW, 0x04000000, 'Baud rate (the reset value selects 250 kbaud)', [
    fld('BAUDRATE', 0, 32, baud),
  ]),
  reg('CONFIG', 0x56c, RW, 0, 'Parity, stop bits and hardware flow control', [
    fld('HWFC', 0, 1, DISEN, 'Hardware flow control'),
    fld('PARITY', 1, 3, { Excluded: 0, Included: 7 }),
    fld('STOP', 4, 1, { One: 0, Two: 1 }, 'Stop bits'),
    fld('PARITYTYPE', 8, 1, { Even: 0, Odd: 1 }),
  ]),
];

const uarte0 = nrf({
  name: 'UARTE0',
  base: 0x40002000,
  irq: 'UARTE0_UART0',
  group: 'UARTE',
  description: 'UART with EasyDMA (ENABLE = 8); the legacy UART0 shares the address',
  tasks: [
    ['STARTRX', 0x000, 'Start the receiver'],
    ['STOPRX', 0x004, 'Stop the receiver'],
    ['STARTTX', 0x008, 'Start the transmitter'],
    ['STOPTX', 0x00c, 'Stop the transmitter'],
    ['FLUSHRX', 0x02c, 'Flush the RX FIFO into the RX buffer'],
  ],
  events: [
    ['CTS', 0x100, 'CTS activated (set low)'],
    ['NCTS', 0x104, 'CTS deactivated (set high)'],
    ['RXDRDY', 0x108, 'Data received in RXD (may not yet be in RAM)'],
    ['ENDRX', 0x110, 'Receive buffer filled'],
    ['TXDRDY', 0x11c, 'Data sent from TXD'],
    ['ENDTX', 0x120, 'Last TX byte transmitted'],
    ['ERROR', 0x124, 'Error detected (see ERRORSRC)'],
    ['RXTO', 0x144, 'Receiver timeout after STOPRX'],
    ['RXSTARTED', 0x14c, 'RX buffer pointer and size latched; receiver started'],
    ['TXSTARTED', 0x150, 'TX buffer pointer and size latched; transmitter started'],
    ['TXSTOPPED', 0x158, 'Transmitter stopped'],
  ],
  shorts: [
    [5, 'ENDRX_STARTRX'],
    [6, 'ENDRX_STOPRX'],
  ],
  inten: 'all',
  regs: [
    enableReg({ Enabled: 8 }, 'Enable UARTE'),
    ...uartCommon(BAUD_UARTE),
    ...dma('RXD', 0x534),
    ...dma('TXD', 0x544),
  ],
});

const uart0 = nrf({
  name: 'UART0',
  base: 0x40002000,
  irq: 'UARTE0_UART0',
  group: 'UART',
  alternatePeripheral: 'UARTE0',
  description: 'Legacy UART without EasyDMA (ENABLE = 4), deprecated; shares UARTE0 address',
  tasks: [
    ['STARTRX', 0x000, 'Start the receiver'],
    ['STOPRX', 0x004, 'Stop the receiver'],
    ['STARTTX', 0x008, 'Start the transmitter'],
    ['STOPTX', 0x00c, 'Stop the transmitter'],
    ['SUSPEND', 0x01c, 'Suspend the UART'],
  ],
  events: [
    ['CTS', 0x100, 'CTS activated (set low)'],
    ['NCTS', 0x104, 'CTS deactivated (set high)'],
    ['RXDRDY', 0x108, 'Data received in RXD'],
    ['TXDRDY', 0x11c, 'Data sent from TXD'],
    ['ERROR', 0x124, 'Error detected (see ERRORSRC)'],
    ['RXTO', 0x144, 'Receiver timeout'],
  ],
  shorts: [
    [3, 'CTS_STARTRX'],
    [4, 'NCTS_STOPRX'],
  ],
  regs: [
    enableReg({ Enabled: 4 }, 'Enable UART'),
    ...uartCommon(BAUD_UART),
    reg('RXD', 0x518, RO, 0, 'Received byte (reading pops the RX FIFO)', [fld('RXD', 0, 8)], {
      readAction: 'modify',
    }),
    reg('TXD', 0x51c, WO, 0, 'Byte to transmit', [fld('TXD', 0, 8)]),
  ],
});

const gpiote = nrf({
  name: 'GPIOTE',
  base: 0x40006000,
  irq: 'GPIOTE',
  group: 'GPIOTE',
  description: 'GPIO tasks and events: 8 channels tied to pins, and the PORT event from DETECT',
  tasks: [
    ['OUT[%s]', 0x000, 'Drive the channel pin as CONFIG.POLARITY says', 8],
    ['SET[%s]', 0x030, 'Drive the channel pin high', 8],
    ['CLR[%s]', 0x060, 'Drive the channel pin low', 8],
  ],
  events: [
    ['IN[%s]', 0x100, 'Edge on the channel pin as CONFIG.POLARITY says', 8],
    ['PORT', 0x17c, 'DETECT signal rose (pins with SENSE configured)'],
  ],
  regs: [
    reg(
      'CONFIG[%s]',
      0x510,
      RW,
      0,
      'Channel configuration',
      [
        fld('MODE', 0, 2, { Disabled: 0, Event: 1, Task: 3 }),
        fld('PSEL', 8, 5, undefined, 'Pin number'),
        fld('PORT', 13, 1, undefined, 'Port number'),
        fld('POLARITY', 16, 2, { None: 0, LoToHi: 1, HiToLo: 2, Toggle: 3 }),
        fld('OUTINIT', 20, 1, { Low: 0, High: 1 }, 'Initial level in task mode'),
      ],
      { dim: [8, 4] },
    ),
  ],
});

function timerPeripheral(name, base, cc, description) {
  return nrf({
    name,
    base,
    irq: name,
    group: 'TIMER',
    description,
    tasks: [
      ['START', 0x000, 'Start the timer'],
      ['STOP', 0x004, 'Stop the timer'],
      ['COUNT', 0x008, 'Increment the timer (counter mode only)'],
      ['CLEAR', 0x00c, 'Clear the timer'],
      ['SHUTDOWN', 0x010, 'Shut the timer down (deprecated)'],
      ['CAPTURE[%s]', 0x040, 'Capture the timer value into CC[n]', cc],
    ],
    events: [['COMPARE[%s]', 0x140, 'Compare event on CC[n] match', cc]],
    shorts: [
      ...range(cc).map((i) => [i, `COMPARE${i}_CLEAR`]),
      ...range(cc).map((i) => [8 + i, `COMPARE${i}_STOP`]),
    ],
    regs: [
      reg('MODE', 0x504, RW, 0, 'Timer or counter mode', [
        fld('MODE', 0, 2, { Timer: 0, Counter: 1, LowPowerCounter: 2 }),
      ]),
      reg('BITMODE', 0x508, RW, 0, 'Timer bit width', [
        fld('BITMODE', 0, 2, { Bit16: 0, Bit08: 1, Bit24: 2, Bit32: 3 }),
      ]),
      reg('PRESCALER', 0x510, RW, 4, 'Prescaler: f = 16 MHz / 2^PRESCALER', [
        fld('PRESCALER', 0, 4),
      ]),
      reg('CC[%s]', 0x540, RW, 0, 'Capture/compare register n', [fld('CC', 0, 32)], {
        dim: [cc, 4],
      }),
    ],
  });
}

function rtcPeripheral(name, base, cc) {
  const events = [
    ['TICK', 0x100, 'Counter incremented'],
    ['OVRFLW', 0x104, 'Counter overflowed from 0xFFFFFF to 0'],
    ['COMPARE[%s]', 0x140, 'COUNTER reached CC[n]', cc],
  ];
  const bits = events.flatMap(elements).map((e) => [e.name, (e.offset - 0x100) / 4]);
  const evtenFields = (write) =>
    bits.map(([n, b]) =>
      fld(
        n,
        b,
        1,
        write
          ? [
              { usage: 'read', values: DISEN },
              { usage: 'write', values: write },
            ]
          : DISEN,
        `Route event ${n} to the PPI`,
      ),
    );
  return nrf({
    name,
    base,
    irq: name,
    group: 'RTC',
    description: `Real-time counter on LFCLK (24-bit, ${cc} compare registers)`,
    tasks: [
      ['START', 0x000, 'Start the counter'],
      ['STOP', 0x004, 'Stop the counter'],
      ['CLEAR', 0x008, 'Clear the counter'],
      ['TRIGOVRFLW', 0x00c, 'Set the counter to 0xFFFFF0'],
    ],
    events,
    regs: [
      reg('EVTEN', 0x340, RW, 0, 'Enable or disable event routing to the PPI', evtenFields(null)),
      reg(
        'EVTENSET',
        0x344,
        RW,
        0,
        'Enable event routing: write 1 to set',
        evtenFields({ Set: 1 }),
      ),
      reg(
        'EVTENCLR',
        0x348,
        RW,
        0,
        'Disable event routing: write 1 to clear',
        evtenFields({ Clear: 1 }),
      ),
      reg('COUNTER', 0x504, RO, 0, 'Current counter value', [fld('COUNTER', 0, 24)]),
      reg('PRESCALER', 0x508, RW, 0, 'f = 32768 / (PRESCALER + 1); write only when stopped', [
        fld('PRESCALER', 0, 12),
      ]),
      reg('CC[%s]', 0x540, RW, 0, 'Compare register n', [fld('COMPARE', 0, 24)], {
        dim: [cc, 4],
      }),
    ],
  });
}

const temp = nrf({
  name: 'TEMP',
  base: 0x4000c000,
  irq: 'TEMP',
  group: 'TEMP',
  description: 'Die temperature sensor',
  tasks: [
    ['START', 0x000, 'Start a temperature measurement'],
    ['STOP', 0x004, 'Stop the temperature measurement'],
  ],
  events: [['DATARDY', 0x100, 'Temperature measurement complete, TEMP holds the result']],
  regs: [
    reg('TEMP', 0x508, RO, 0, "Temperature in 0.25 degC units (two's complement)", [
      fld('TEMP', 0, 32),
    ]),
    // Linearisation coefficients with the PS reset values.
    ...[0x326, 0x348, 0x3aa, 0x40e, 0x4bd, 0x5a3].map((v, i) =>
      reg(`A${i}`, 0x520 + 4 * i, RW, v, `Slope of linear segment ${i + 1}`, [fld(`A${i}`, 0, 12)]),
    ),
    ...[0x3fef, 0x3fbe, 0x3fbe, 0x0012, 0x0124, 0x027c].map((v, i) =>
      reg(`B${i}`, 0x540 + 4 * i, RW, v, `Y-intercept of linear segment ${i + 1}`, [
        fld(`B${i}`, 0, 14),
      ]),
    ),
    ...[0xe2, 0x00, 0x19, 0x3c, 0x50].map((v, i) =>
      reg(`T${i}`, 0x560 + 4 * i, RW, v, `End point of linear segment ${i + 1}`, [
        fld(`T${i}`, 0, 8),
      ]),
    ),
  ],
});

const rng = nrf({
  name: 'RNG',
  base: 0x4000d000,
  irq: 'RNG',
  group: 'RNG',
  description: 'Random number generator (thermal noise), one byte per VALRDY',
  tasks: [
    ['START', 0x000, 'Start generating random bytes'],
    ['STOP', 0x004, 'Stop generating random bytes'],
  ],
  events: [['VALRDY', 0x100, 'A new random byte is in VALUE']],
  shorts: [[0, 'VALRDY_STOP']],
  regs: [
    reg('CONFIG', 0x504, RW, 0, 'Configuration', [
      fld('DERCEN', 0, 1, DISEN, 'Bias correction (slower, uniform distribution)'),
    ]),
    reg('VALUE', 0x508, RO, 0, 'Last random byte generated', [fld('VALUE', 0, 8)]),
  ],
});

const wdt = nrf({
  name: 'WDT',
  base: 0x40010000,
  irq: 'WDT',
  group: 'WDT',
  description: 'Watchdog timer on LFCLK: resets the chip unless reloaded in time',
  tasks: [['START', 0x000, 'Start the watchdog (locks CRV, RREN and CONFIG)']],
  events: [['TIMEOUT', 0x100, 'Watchdog timeout (reset follows two LFCLK cycles later)']],
  regs: [
    reg('RUNSTATUS', 0x400, RO, 0, 'Run status', [
      fld('RUNSTATUS', 0, 1, { NotRunning: 0, Running: 1 }),
    ]),
    reg(
      'REQSTATUS',
      0x404,
      RO,
      1,
      'Reload request status per RR register',
      range(8).map((i) =>
        fld(`RR${i}`, i, 1, { DisabledOrRequested: 0, EnabledAndUnrequested: 1 }),
      ),
    ),
    reg('CRV', 0x504, RW, 0xffffffff, 'Counter reload value in LFCLK cycles (minimum 0xF)', [
      fld('CRV', 0, 32),
    ]),
    reg(
      'RREN',
      0x508,
      RW,
      1,
      'Enable reload request registers',
      range(8).map((i) => fld(`RR${i}`, i, 1, DISEN)),
    ),
    reg('CONFIG', 0x50c, RW, 1, 'Behaviour while the CPU sleeps or is halted by the debugger', [
      fld('SLEEP', 0, 1, { Pause: 0, Run: 1 }),
      fld('HALT', 3, 1, { Pause: 0, Run: 1 }),
    ]),
    reg(
      'RR[%s]',
      0x600,
      WO,
      0,
      'Reload request n: write 0x6E524635 to request a reload',
      [fld('RR', 0, 32, [{ usage: 'write', values: { Reload: 0x6e524635 } }])],
      { dim: [8, 4] },
    ),
  ],
});

function eguPeripheral(n) {
  return nrf({
    name: `EGU${n}`,
    base: 0x40014000 + n * 0x1000,
    irq: `SWI${n}_EGU${n}`,
    group: 'EGU',
    description: `Event generator unit ${n}: software-triggered events (shares the SWI${n} interrupt)`,
    tasks: [['TRIGGER[%s]', 0x000, 'Generate event TRIGGERED[n]', 16]],
    events: [['TRIGGERED[%s]', 0x100, 'Generated by task TRIGGER[n]', 16]],
    inten: 'all',
  });
}

const nvmc = {
  name: 'NVMC',
  base: 0x4001e000,
  group: 'NVMC',
  description: 'Non-volatile memory controller: flash write enable, erase and instruction cache',
  registers: [
    reg('READY', 0x400, RO, 1, 'Ready flag', [fld('READY', 0, 1, { Busy: 0, Ready: 1 })]),
    reg('READYNEXT', 0x408, RO, 1, 'Ready flag for the next write', [
      fld('READYNEXT', 0, 1, { Busy: 0, Ready: 1 }),
    ]),
    reg('CONFIG', 0x504, RW, 0, 'Configuration', [
      fld('WEN', 0, 2, { Ren: 0, Wen: 1, Een: 2 }, 'Read only, write enabled or erase enabled'),
    ]),
    reg('ERASEPAGE', 0x508, WO, 0, 'Erase the flash page at this address (needs Een)', [
      fld('ERASEPAGE', 0, 32),
    ]),
    reg('ERASEPCR1', 0x508, WO, 0, 'Deprecated alias of ERASEPAGE', [fld('ERASEPCR1', 0, 32)], {
      alternateRegister: 'ERASEPAGE',
    }),
    reg('ERASEALL', 0x50c, WO, 0, 'Erase all flash and UICR (needs Een)', [
      fld('ERASEALL', 0, 1, [{ usage: 'write', values: { NoOperation: 0, Erase: 1 } }]),
    ]),
    reg('ERASEPCR0', 0x510, WO, 0, 'Deprecated: erase a flash page (needs Een)', [
      fld('ERASEPCR0', 0, 32),
    ]),
    reg('ERASEUICR', 0x514, WO, 0, 'Erase the UICR page (needs Een)', [
      fld('ERASEUICR', 0, 1, [{ usage: 'write', values: { NoOperation: 0, Erase: 1 } }]),
    ]),
    reg('ERASEPAGEPARTIAL', 0x518, WO, 0, 'Erase a page for ERASEPAGEPARTIALCFG ms', [
      fld('ERASEPAGEPARTIAL', 0, 32),
    ]),
    reg('ERASEPAGEPARTIALCFG', 0x51c, RW, 0xa, 'Partial erase duration', [
      fld('DURATION', 0, 7, undefined, 'Milliseconds'),
    ]),
    reg('ICACHECNF', 0x540, RW, 0, 'Instruction cache configuration', [
      fld('CACHEEN', 0, 1, DISEN),
      fld('CACHEPROFEN', 8, 1, DISEN, 'Cache hit/miss counters'),
    ]),
    reg('IHIT', 0x548, RW, 0, 'Instruction cache hits', [fld('HITS', 0, 32)]),
    reg('IMISS', 0x54c, RW, 0, 'Instruction cache misses', [fld('MISSES', 0, 32)]),
  ],
};

const ppi = nrf({
  name: 'PPI',
  base: 0x4001f000,
  group: 'PPI',
  description: 'Programmable peripheral interconnect: event -> task channels and groups',
  tasks: [
    ['CHG[%s].EN', 0x000, 'Enable channel group n', 6, 8],
    ['CHG[%s].DIS', 0x004, 'Disable channel group n', 6, 8],
  ],
  regs: [
    bitsReg('CHEN', 0x500, RW, 0, 'Channel enable', 'CH', 32, DISEN),
    bitsReg('CHENSET', 0x504, RW, 0, 'Channel enable: write 1 to set', 'CH', 32, [
      { usage: 'read', values: DISEN },
      { usage: 'write', values: { Set: 1 } },
    ]),
    bitsReg('CHENCLR', 0x508, RW, 0, 'Channel enable: write 1 to clear', 'CH', 32, [
      { usage: 'read', values: DISEN },
      { usage: 'write', values: { Clear: 1 } },
    ]),
    reg(
      'CH[%s].EEP',
      0x510,
      RW,
      0,
      'Channel n event end-point (an EVENTS_ address)',
      [fld('EEP', 0, 32)],
      { dim: [20, 8] },
    ),
    reg(
      'CH[%s].TEP',
      0x514,
      RW,
      0,
      'Channel n task end-point (a TASKS_ address)',
      [fld('TEP', 0, 32)],
      { dim: [20, 8] },
    ),
    bitsReg('CHG[%s]', 0x800, RW, 0, 'Channel group n', 'CH', 32, { Excluded: 0, Included: 1 }),
    reg('FORK[%s].TEP', 0x910, RW, 0, 'Channel n second task end-point', [fld('TEP', 0, 32)], {
      dim: [32, 4],
    }),
  ],
});
// CHG[%s] is an array register: bitsReg made it plain, give it its dimension.
ppi.registers.find((r) => r.name === 'CHG[%s]').dim = [6, 4];

const PIN_LEVEL = { Low: 0, High: 1 };
const pinRegs = [
  bitsReg('OUT', 0x504, RW, 0, 'Output levels', 'PIN', 32, PIN_LEVEL),
  bitsReg('OUTSET', 0x508, RW, 0, 'Output levels: write 1 to drive high', 'PIN', 32, [
    { usage: 'read', values: PIN_LEVEL },
    { usage: 'write', values: { Set: 1 } },
  ]),
  bitsReg('OUTCLR', 0x50c, RW, 0, 'Output levels: write 1 to drive low', 'PIN', 32, [
    { usage: 'read', values: PIN_LEVEL },
    { usage: 'write', values: { Clear: 1 } },
  ]),
  bitsReg(
    'IN',
    0x510,
    RO,
    0,
    'Input levels (0 where the input buffer is disconnected)',
    'PIN',
    32,
    PIN_LEVEL,
  ),
  bitsReg('DIR', 0x514, RW, 0, 'Pin directions', 'PIN', 32, { Input: 0, Output: 1 }),
  bitsReg('DIRSET', 0x518, RW, 0, 'Pin directions: write 1 for output', 'PIN', 32, [
    { usage: 'read', values: { Input: 0, Output: 1 } },
    { usage: 'write', values: { Set: 1 } },
  ]),
  bitsReg('DIRCLR', 0x51c, RW, 0, 'Pin directions: write 1 for input', 'PIN', 32, [
    { usage: 'read', values: { Input: 0, Output: 1 } },
    { usage: 'write', values: { Clear: 1 } },
  ]),
  bitsReg(
    'LATCH',
    0x520,
    RW,
    0,
    'Pins whose SENSE condition was met; write 1 to clear',
    'PIN',
    32,
    {
      NotLatched: 0,
      Latched: 1,
    },
  ),
  reg('DETECTMODE', 0x524, RW, 0, 'Source of the DETECT signal', [
    fld('DETECTMODE', 0, 1, { Default: 0, LDETECT: 1 }, 'Pin SENSE directly or through LATCH'),
  ]),
  reg(
    'PIN_CNF[%s]',
    0x700,
    RW,
    0x2,
    'Configuration of pin n',
    [
      fld('DIR', 0, 1, { Input: 0, Output: 1 }),
      fld('INPUT', 1, 1, { Connect: 0, Disconnect: 1 }, 'Input buffer'),
      fld('PULL', 2, 2, { Disabled: 0, Pulldown: 1, Pullup: 3 }),
      fld('DRIVE', 8, 3, {
        S0S1: 0,
        H0S1: 1,
        S0H1: 2,
        H0H1: 3,
        D0S1: 4,
        D0H1: 5,
        S0D1: 6,
        H0D1: 7,
      }),
      fld('SENSE', 16, 2, { Disabled: 0, High: 2, Low: 3 }),
    ],
    { dim: [32, 4] },
  ),
];
pinRegs.find((r) => r.name === 'LATCH').modifiedWriteValues = 'oneToClear';

const p0 = {
  name: 'P0',
  base: 0x50000000,
  group: 'GPIO',
  description: 'GPIO port 0 (pins P0.00-P0.31)',
  // P0 answers from 0x50000000 up to P1's registers at 0x50000800 (P1 = 0x50000300 + 0x500).
  block: [0x000, 0x800],
  registers: pinRegs,
};
const p1 = {
  name: 'P1',
  base: 0x50000300,
  group: 'GPIO',
  derivedFrom: 'P0',
  description: 'GPIO port 1 (pins P1.00-P1.15 on the nRF52840; the register set is the same)',
  block: [0x500, 0x300],
};

const ficrFixed = {
  // PACKAGES: the package codes each part's PS lists (aQFN73, WLCSP, QFN40).
  nrf52840: {
    CODESIZE: 0x100,
    PART: 0x52840,
    RAM: 0x100,
    FLASH: 0x400,
    PACKAGES: { QI: 0x2004, CK: 0x2005 },
  },
  nrf52833: {
    CODESIZE: 0x80,
    PART: 0x52833,
    RAM: 0x80,
    FLASH: 0x200,
    PACKAGES: { QI: 0x2004, QD: 0x2007, CJ: 0x2008 },
  },
};

function ficr(variant) {
  const fixed = ficrFixed[variant];
  const E = 0xffffffff; // factory-programmed per device: the SVD cannot know it
  return {
    name: 'FICR',
    base: 0x10000000,
    group: 'FICR',
    description: 'Factory information configuration registers (read-only, programmed by Nordic)',
    registers: [
      reg('CODEPAGESIZE', 0x010, RO, 0x1000, 'Code memory page size in bytes', [
        fld('CODEPAGESIZE', 0, 32),
      ]),
      reg('CODESIZE', 0x014, RO, fixed.CODESIZE, 'Code memory size in pages', [
        fld('CODESIZE', 0, 32),
      ]),
      reg(
        'DEVICEID[%s]',
        0x060,
        RO,
        E,
        'Device identifier (64-bit, unique per device)',
        [fld('DEVICEID', 0, 32)],
        { dim: [2, 4] },
      ),
      reg('ER[%s]', 0x080, RO, E, 'Encryption root (128-bit)', [fld('ER', 0, 32)], {
        dim: [4, 4],
      }),
      reg('IR[%s]', 0x090, RO, E, 'Identity root (128-bit)', [fld('IR', 0, 32)], {
        dim: [4, 4],
      }),
      reg('DEVICEADDRTYPE', 0x0a0, RO, E, 'Bluetooth device address type', [
        fld('DEVICEADDRTYPE', 0, 1, { Public: 0, Random: 1 }),
      ]),
      reg(
        'DEVICEADDR[%s]',
        0x0a4,
        RO,
        E,
        'Bluetooth device address (48-bit)',
        [fld('DEVICEADDR', 0, 32)],
        { dim: [2, 4] },
      ),
      reg('INFO.PART', 0x100, RO, fixed.PART, 'Part code', [
        fld('PART', 0, 32, { N52840: 0x52840, N52833: 0x52833, Unspecified: 0xffffffff }),
      ]),
      reg(
        'INFO.VARIANT',
        0x104,
        RO,
        E,
        'Build code (hardware version and production config, ASCII)',
        [fld('VARIANT', 0, 32)],
      ),
      reg('INFO.PACKAGE', 0x108, RO, E, 'Package option', [
        fld('PACKAGE', 0, 32, { ...fixed.PACKAGES, Unspecified: 0xffffffff }),
      ]),
      reg('INFO.RAM', 0x10c, RO, fixed.RAM, 'RAM size in KiB', [
        fld('RAM', 0, 32, { K128: 0x80, K256: 0x100, Unspecified: 0xffffffff }),
      ]),
      reg('INFO.FLASH', 0x110, RO, fixed.FLASH, 'Flash size in KiB', [
        fld('FLASH', 0, 32, { K512: 0x200, K1024: 0x400, Unspecified: 0xffffffff }),
      ]),
      ...[
        'A0',
        'A1',
        'A2',
        'A3',
        'A4',
        'A5',
        'B0',
        'B1',
        'B2',
        'B3',
        'B4',
        'B5',
        'T0',
        'T1',
        'T2',
        'T3',
        'T4',
      ].map((n, i) =>
        reg(`TEMP.${n}`, 0x404 + 4 * i, RO, E, `Factory calibration of TEMP register ${n}`, [
          fld(n, 0, n.startsWith('A') ? 12 : n.startsWith('B') ? 14 : 8),
        ]),
      ),
      ...range(4).map((i) =>
        reg(`NFC.TAGHEADER${i}`, 0x450 + 4 * i, RO, E, `Default NFCID1 header ${i}`, [
          fld('DATA', 0, 32),
        ]),
      ),
    ],
  };
}

const pselReset = (name, offset, description) =>
  reg(name, offset, RW, 0xffffffff, description, [
    fld('PIN', 0, 5),
    fld('PORT', 5, 1),
    fld('CONNECT', 31, 1, { Connected: 0, Disconnected: 1 }),
  ]);

const uicr = {
  name: 'UICR',
  base: 0x10001000,
  group: 'UICR',
  description: 'User information configuration registers (flash, written through the NVMC)',
  registers: [
    reg(
      'NRFFW[%s]',
      0x014,
      RW,
      0xffffffff,
      'Reserved for Nordic firmware design',
      [fld('NRFFW', 0, 32)],
      { dim: [15, 4] },
    ),
    reg(
      'NRFHW[%s]',
      0x050,
      RW,
      0xffffffff,
      'Reserved for Nordic hardware design',
      [fld('NRFHW', 0, 32)],
      { dim: [12, 4] },
    ),
    reg(
      'CUSTOMER[%s]',
      0x080,
      RW,
      0xffffffff,
      'Reserved for the customer',
      [fld('CUSTOMER', 0, 32)],
      { dim: [32, 4] },
    ),
    { ...pselReset('PSELRESET[%s]', 0x200, 'Pin used as nRESET'), dim: [2, 4] },
    reg('APPROTECT', 0x208, RW, 0xffffffff, 'Access port protection', [
      fld('PALL', 0, 8, { Enabled: 0x00, HwDisabled: 0x5a, Disabled: 0xff }),
    ]),
    reg('NFCPINS', 0x20c, RW, 0xffffffff, 'Use of the NFC pins', [
      fld('PROTECT', 0, 1, { Disabled: 0, NFC: 1 }, 'GPIO (Disabled) or NFC antenna'),
    ]),
    reg('DEBUGCTRL', 0x210, RW, 0xffffffff, 'Debug functionality', [
      fld('CPUNIDEN', 0, 8, { Enabled: 0xff, Disabled: 0x00 }, 'Non-invasive debug'),
      fld('CPUFPBEN', 8, 8, { Enabled: 0xff, Disabled: 0x00 }, 'Flash patch and breakpoint unit'),
    ]),
    reg('REGOUT0', 0x304, RW, 0xffffffff, 'GPIO output voltage in high voltage mode', [
      fld('VOUT', 0, 3, {
        V1_8: 0,
        V2_1: 1,
        V2_4: 2,
        V2_7: 3,
        V3_0: 4,
        V3_3: 5,
        DEFAULT: 7,
      }),
    ]),
  ],
};

// ---------------------------------------------------------------------------------------------
// Recorded-only peripherals (tasks, events, interrupt enables, ENABLE and a few key registers)

const radio = nrf({
  name: 'RADIO',
  base: 0x40001000,
  irq: 'RADIO',
  group: 'RADIO',
  description: '2.4 GHz radio (recorded only)',
  tasks: [
    ['TXEN', 0x000, 'Enable the radio in TX mode'],
    ['RXEN', 0x004, 'Enable the radio in RX mode'],
    ['START', 0x008, 'Start the radio'],
    ['STOP', 0x00c, 'Stop the radio'],
    ['DISABLE', 0x010, 'Disable the radio'],
    ['RSSISTART', 0x014, 'Start RSSI measurement'],
    ['RSSISTOP', 0x018, 'Stop RSSI measurement'],
    ['BCSTART', 0x01c, 'Start the bit counter'],
    ['BCSTOP', 0x020, 'Stop the bit counter'],
    ['EDSTART', 0x024, 'Start energy detection (IEEE 802.15.4)'],
    ['EDSTOP', 0x028, 'Stop energy detection'],
    ['CCASTART', 0x02c, 'Start clear channel assessment'],
    ['CCASTOP', 0x030, 'Stop clear channel assessment'],
  ],
  events: [
    ['READY', 0x100, 'Ramped up and ready'],
    ['ADDRESS', 0x104, 'Address sent or received'],
    ['PAYLOAD', 0x108, 'Packet payload sent or received'],
    ['END', 0x10c, 'Packet sent or received'],
    ['DISABLED', 0x110, 'Radio disabled'],
    ['DEVMATCH', 0x114, 'Device address match'],
    ['DEVMISS', 0x118, 'No device address match'],
    ['RSSIEND', 0x11c, 'RSSI sample ready'],
    ['BCMATCH', 0x128, 'Bit counter reached BCC'],
    ['CRCOK', 0x130, 'Packet received with a correct CRC'],
    ['CRCERROR', 0x134, 'Packet received with a CRC error'],
    ['FRAMESTART', 0x138, 'IEEE 802.15.4 frame start'],
    ['EDEND', 0x13c, 'Energy detection done'],
    ['EDSTOPPED', 0x140, 'Energy detection stopped'],
    ['CCAIDLE', 0x144, 'Channel is idle'],
    ['CCABUSY', 0x148, 'Channel is busy'],
    ['CCASTOPPED', 0x14c, 'CCA stopped'],
    ['RATEBOOST', 0x150, 'Ble_LR rate boost received'],
    ['TXREADY', 0x154, 'Ramped up in TX mode'],
    ['RXREADY', 0x158, 'Ramped up in RX mode'],
    ['MHRMATCH', 0x15c, 'MAC header match'],
    ['SYNC', 0x168, 'Preamble indicator'],
    ['PHYEND', 0x16c, 'Last bit sent or received'],
  ],
  regs: [
    reg('PACKETPTR', 0x504, RW, 0, 'Packet pointer (Data RAM)', [fld('PACKETPTR', 0, 32)]),
    reg('FREQUENCY', 0x508, RW, 0x2, 'Frequency', [
      fld('FREQUENCY', 0, 7, undefined, 'MHz above 2400 (or 2360)'),
      fld('MAP', 8, 1, { Default: 0, Low: 1 }),
    ]),
    reg('TXPOWER', 0x50c, RW, 0, "Output power in dBm (two's complement)", [fld('TXPOWER', 0, 8)]),
    reg('MODE', 0x510, RW, 0, 'Data rate and modulation', [
      fld('MODE', 0, 4, {
        Nrf_1Mbit: 0,
        Nrf_2Mbit: 1,
        Ble_1Mbit: 3,
        Ble_2Mbit: 4,
        Ble_LR125Kbit: 5,
        Ble_LR500Kbit: 6,
        Ieee802154_250Kbit: 15,
      }),
    ]),
    reg('STATE', 0x550, RO, 0, 'Current radio state', [
      fld('STATE', 0, 4, {
        Disabled: 0,
        RxRu: 1,
        RxIdle: 2,
        Rx: 3,
        RxDisable: 4,
        TxRu: 9,
        TxIdle: 10,
        Tx: 11,
        TxDisable: 12,
      }),
    ]),
    reg('POWER', 0xffc, RW, 1, 'Peripheral power control', [fld('POWER', 0, 1, DISEN)]),
  ],
});

function spim(name, base, irq, alt) {
  return nrf({
    name,
    base,
    irq,
    group: 'SPIM',
    ...(alt ? { alternatePeripheral: alt } : {}),
    description: 'SPI master with EasyDMA (recorded only)',
    tasks: [
      ['START', 0x010, 'Start the SPI transaction'],
      ['STOP', 0x014, 'Stop the SPI transaction'],
      ['SUSPEND', 0x01c, 'Suspend the SPI transaction'],
      ['RESUME', 0x020, 'Resume the SPI transaction'],
    ],
    events: [
      ['STOPPED', 0x104, 'Transaction stopped'],
      ['ENDRX', 0x110, 'End of RXD buffer reached'],
      ['END', 0x118, 'End of RXD and TXD buffers reached'],
      ['ENDTX', 0x120, 'End of TXD buffer reached'],
      ['STARTED', 0x14c, 'Transaction started'],
    ],
    shorts: [[17, 'END_START']],
    regs: [
      enableReg({ Enabled: 7 }, 'Enable SPIM'),
      psel('PSEL.SCK', 0x508, 'Pin select for SCK'),
      psel('PSEL.MOSI', 0x50c, 'Pin select for MOSI'),
      psel('PSEL.MISO', 0x510, 'Pin select for MISO'),
      reg('FREQUENCY', 0x524, RW, 0x04000000, 'SPI frequency', [
        fld('FREQUENCY', 0, 32, {
          K125: 0x02000000,
          K250: 0x04000000,
          K500: 0x08000000,
          M1: 0x10000000,
          M2: 0x20000000,
          M4: 0x40000000,
          M8: 0x80000000,
          M16: 0x0a000000,
          M32: 0x14000000,
        }),
      ]),
      ...dima('RXD', 0x534),
      ...dima('TXD', 0x544),
      reg('CONFIG', 0x554, RW, 0, 'Bit order, clock phase and polarity', [
        fld('ORDER', 0, 1, { MsbFirst: 0, LsbFirst: 1 }),
        fld('CPHA', 1, 1, { Leading: 0, Trailing: 1 }),
        fld('CPOL', 2, 1, { ActiveHigh: 0, ActiveLow: 1 }),
      ]),
      reg('ORC', 0x5c0, RW, 0, 'Over-read character', [fld('ORC', 0, 8)]),
    ],
  });
}

/** EasyDMA with the LIST register (SPIM, TWIM). */
function dima(cluster, base) {
  return [
    ...dma(cluster, base),
    reg(`${cluster}.LIST`, base + 12, RW, 0, 'EasyDMA list type', [
      fld('LIST', 0, 2, { Disabled: 0, ArrayList: 1 }),
    ]),
  ];
}

function spis(name, base, irq, alt) {
  return nrf({
    name,
    base,
    irq,
    group: 'SPIS',
    alternatePeripheral: alt,
    description: 'SPI slave with EasyDMA (recorded only)',
    tasks: [
      ['ACQUIRE', 0x024, 'Acquire the SPI semaphore'],
      ['RELEASE', 0x028, 'Release the SPI semaphore'],
    ],
    events: [
      ['END', 0x104, 'Granted transaction completed'],
      ['ENDRX', 0x110, 'End of RXD buffer reached'],
      ['ACQUIRED', 0x128, 'Semaphore acquired'],
    ],
    shorts: [[2, 'END_ACQUIRE']],
    regs: [
      reg('SEMSTAT', 0x400, RO, 1, 'Semaphore status', [
        fld('SEMSTAT', 0, 2, { Free: 0, CPU: 1, SPIS: 2, CPUPending: 3 }),
      ]),
      reg(
        'STATUS',
        0x440,
        RW,
        0,
        'Status from the last transaction; write 1 to clear',
        [
          fld('OVERREAD', 0, 1, { NotPresent: 0, Present: 1 }),
          fld('OVERFLOW', 1, 1, { NotPresent: 0, Present: 1 }),
        ],
        { modifiedWriteValues: 'oneToClear' },
      ),
      enableReg({ Enabled: 2 }, 'Enable SPIS'),
    ],
  });
}

function twim(name, base, irq, alt) {
  return nrf({
    name,
    base,
    irq,
    group: 'TWIM',
    alternatePeripheral: alt,
    description: 'I2C compatible two-wire master with EasyDMA (recorded only)',
    tasks: [
      ['STARTRX', 0x000, 'Start a receive sequence'],
      ['STARTTX', 0x008, 'Start a transmit sequence'],
      ['STOP', 0x014, 'Stop the transaction (generates a STOP condition)'],
      ['SUSPEND', 0x01c, 'Suspend the transaction'],
      ['RESUME', 0x020, 'Resume the transaction'],
    ],
    events: [
      ['STOPPED', 0x104, 'TWI stopped'],
      ['ERROR', 0x124, 'TWI error'],
      ['SUSPENDED', 0x148, 'Transaction suspended'],
      ['RXSTARTED', 0x14c, 'Receive sequence started'],
      ['TXSTARTED', 0x150, 'Transmit sequence started'],
      ['LASTRX', 0x15c, 'Receiving the last byte'],
      ['LASTTX', 0x160, 'Transmitting the last byte'],
    ],
    shorts: [
      [7, 'LASTTX_STARTRX'],
      [8, 'LASTTX_SUSPEND'],
      [9, 'LASTTX_STOP'],
      [10, 'LASTRX_STARTTX'],
      [11, 'LASTRX_SUSPEND'],
      [12, 'LASTRX_STOP'],
    ],
    inten: 'all',
    regs: [
      reg(
        'ERRORSRC',
        0x4c4,
        RW,
        0,
        'Error source; write 1 to clear',
        [
          fld('OVERRUN', 0, 1, { NotReceived: 0, Received: 1 }),
          fld('ANACK', 1, 1, { NotReceived: 0, Received: 1 }),
          fld('DNACK', 2, 1, { NotReceived: 0, Received: 1 }),
        ],
        { modifiedWriteValues: 'oneToClear' },
      ),
      enableReg({ Enabled: 6 }, 'Enable TWIM'),
      psel('PSEL.SCL', 0x508, 'Pin select for SCL'),
      psel('PSEL.SDA', 0x50c, 'Pin select for SDA'),
      reg('FREQUENCY', 0x524, RW, 0x04000000, 'TWI frequency', [
        fld('FREQUENCY', 0, 32, { K100: 0x01980000, K250: 0x04000000, K400: 0x06400000 }),
      ]),
      ...dima('RXD', 0x534),
      ...dima('TXD', 0x544),
      reg('ADDRESS', 0x588, RW, 0, 'Slave address', [fld('ADDRESS', 0, 7)]),
    ],
  });
}

function twis(name, base, irq, alt) {
  return nrf({
    name,
    base,
    irq,
    group: 'TWIS',
    alternatePeripheral: alt,
    description: 'I2C compatible two-wire slave with EasyDMA (recorded only)',
    tasks: [
      ['STOP', 0x014, 'Stop the TWI slave'],
      ['SUSPEND', 0x01c, 'Suspend the TWI slave'],
      ['RESUME', 0x020, 'Resume the TWI slave'],
      ['PREPARERX', 0x030, 'Prepare the TWI slave to respond to a write command'],
      ['PREPARETX', 0x034, 'Prepare the TWI slave to respond to a read command'],
    ],
    events: [
      ['STOPPED', 0x104, 'TWI stopped'],
      ['ERROR', 0x124, 'TWI error'],
      ['RXSTARTED', 0x14c, 'Receive sequence started'],
      ['TXSTARTED', 0x150, 'Transmit sequence started'],
      ['WRITE', 0x164, 'Write command received'],
      ['READ', 0x168, 'Read command received'],
    ],
    shorts: [
      [13, 'WRITE_SUSPEND'],
      [14, 'READ_SUSPEND'],
    ],
    inten: 'all',
    regs: [enableReg({ Enabled: 9 }, 'Enable TWIS')],
  });
}

const nfct = nrf({
  name: 'NFCT',
  base: 0x40005000,
  irq: 'NFCT',
  group: 'NFCT',
  description: 'NFC-A tag (recorded only)',
  tasks: [
    ['ACTIVATE', 0x000, 'Activate for incoming and outgoing frames'],
    ['DISABLE', 0x004, 'Disable the NFCT peripheral'],
    ['SENSE', 0x008, 'Enable field sense mode'],
    ['STARTTX', 0x00c, 'Start transmitting a frame'],
    ['ENABLERXDATA', 0x01c, 'Prepare EasyDMA for receiving'],
    ['GOIDLE', 0x024, 'Force the state machine to IDLE'],
    ['GOSLEEP', 0x028, 'Force the state machine to SLEEP_A'],
  ],
  events: [
    ['READY', 0x100, 'Ready to receive and send frames'],
    ['FIELDDETECTED', 0x104, 'Remote field detected'],
    ['FIELDLOST', 0x108, 'Remote field lost'],
    ['TXFRAMESTART', 0x10c, 'Start of the first transmitted symbol'],
    ['TXFRAMEEND', 0x110, 'End of the last transmitted symbol'],
    ['RXFRAMESTART', 0x114, 'End of the first received symbol'],
    ['RXFRAMEEND', 0x118, 'Received data stored in RAM'],
    ['ERROR', 0x11c, 'Error in the NFC communication'],
    ['RXERROR', 0x128, 'Error in the received frame'],
    ['ENDRX', 0x12c, 'RX buffer full or frame complete'],
    ['ENDTX', 0x130, 'Transmission complete'],
    ['AUTOCOLRESSTARTED', 0x138, 'Auto collision resolution started'],
    ['COLLISION', 0x148, 'Collision detected'],
    ['SELECTED', 0x14c, 'Selected by the reader'],
    ['STARTED', 0x150, 'EasyDMA ready to receive or send frames'],
  ],
  shorts: [
    [0, 'FIELDDETECTED_ACTIVATE'],
    [1, 'FIELDLOST_SENSE'],
    [5, 'TXFRAMEEND_ENABLERXDATA'],
  ],
  inten: 'all',
  regs: [
    reg(
      'ERRORSTATUS',
      0x404,
      RW,
      0,
      'Error status; write 1 to clear',
      [fld('FRAMEDELAYTIMEOUT', 0, 1)],
      { modifiedWriteValues: 'oneToClear' },
    ),
    reg('NFCTAGSTATE', 0x410, RO, 0, 'Tag state', [
      fld('NFCTAGSTATE', 0, 3, {
        Disabled: 0,
        RampUp: 2,
        Idle: 3,
        Receive: 4,
        FrameDelay: 5,
        Transmit: 6,
      }),
    ]),
    reg('FIELDPRESENT', 0x43c, RO, 0, 'Remote field status', [
      fld('FIELDPRESENT', 0, 1, { NoField: 0, FieldPresent: 1 }),
      fld('LOCKDETECT', 1, 1, { NotLocked: 0, Locked: 1 }),
    ]),
  ],
});

const saadc = nrf({
  name: 'SAADC',
  base: 0x40007000,
  irq: 'SAADC',
  group: 'SAADC',
  description: 'Successive approximation ADC with EasyDMA (recorded only)',
  tasks: [
    ['START', 0x000, 'Start the ADC and prepare the result buffer'],
    ['SAMPLE', 0x004, 'Take one sample per enabled channel'],
    ['STOP', 0x008, 'Stop the ADC'],
    ['CALIBRATEOFFSET', 0x00c, 'Start offset calibration'],
  ],
  events: [
    ['STARTED', 0x100, 'ADC started'],
    ['END', 0x104, 'Result buffer filled'],
    ['DONE', 0x108, 'A conversion task completed'],
    ['RESULTDONE', 0x10c, 'A result is ready to go to RAM'],
    ['CALIBRATEDONE', 0x110, 'Calibration complete'],
    ['STOPPED', 0x114, 'ADC stopped'],
    ['CH[%s].LIMITH', 0x118, 'Channel n went above its high limit', 8, 8],
    ['CH[%s].LIMITL', 0x11c, 'Channel n went below its low limit', 8, 8],
  ],
  inten: 'all',
  regs: [
    reg('STATUS', 0x400, RO, 0, 'Status', [fld('STATUS', 0, 1, { Ready: 0, Busy: 1 })]),
    enableReg({ Enabled: 1 }, 'Enable SAADC'),
    reg('RESOLUTION', 0x5f0, RW, 1, 'Resolution', [
      fld('VAL', 0, 3, { Bits8: 0, Bits10: 1, Bits12: 2, Bits14: 3 }),
    ]),
    reg('OVERSAMPLE', 0x5f4, RW, 0, 'Oversampling', [fld('OVERSAMPLE', 0, 4)]),
    reg('SAMPLERATE', 0x5f8, RW, 0, 'Sample rate from the local timer', [
      fld('CC', 0, 11),
      fld('MODE', 12, 1, { Task: 0, Timers: 1 }),
    ]),
    reg('RESULT.PTR', 0x62c, RW, 0, 'Result buffer pointer (Data RAM)', [fld('PTR', 0, 32)]),
    reg('RESULT.MAXCNT', 0x630, RW, 0, 'Maximum number of 16-bit samples', [fld('MAXCNT', 0, 15)]),
    reg('RESULT.AMOUNT', 0x634, RO, 0, 'Samples transferred', [fld('AMOUNT', 0, 15)]),
  ],
});
// SAADC's event arrays have an 8-byte stride: the generic event helper names the
// register EVENTS_CH[%s].LIMITH, which the generator turns into cluster EVENTS_CH[%s].

const ecb = nrf({
  name: 'ECB',
  base: 0x4000e000,
  irq: 'ECB',
  group: 'ECB',
  description: 'AES ECB mode encryption (recorded only)',
  tasks: [
    ['STARTECB', 0x000, 'Start an ECB block encryption'],
    ['STOPECB', 0x004, 'Abort an ECB block encryption'],
  ],
  events: [
    ['ENDECB', 0x100, 'Encryption complete'],
    ['ERRORECB', 0x104, 'Encryption aborted'],
  ],
  regs: [
    reg('ECBDATAPTR', 0x504, RW, 0, 'Pointer to key, cleartext and ciphertext', [
      fld('ECBDATAPTR', 0, 32),
    ]),
  ],
});

const aar = nrf({
  name: 'AAR',
  base: 0x4000f000,
  irq: 'CCM_AAR',
  group: 'AAR',
  description: 'Accelerated address resolver (recorded only); CCM shares the address',
  tasks: [
    ['START', 0x000, 'Start resolving addresses'],
    ['STOP', 0x008, 'Stop resolving addresses'],
  ],
  events: [
    ['END', 0x100, 'Address resolution complete'],
    ['RESOLVED', 0x104, 'Address resolved'],
    ['NOTRESOLVED', 0x108, 'Address not resolved'],
  ],
  regs: [
    reg('STATUS', 0x400, RO, 0, 'Index of the last IRK that resolved', [fld('STATUS', 0, 4)]),
    enableReg({ Enabled: 3 }, 'Enable AAR'),
    reg('NIRK', 0x504, RW, 1, 'Number of IRKs', [fld('NIRK', 0, 5)]),
    reg('IRKPTR', 0x508, RW, 0, 'Pointer to the IRK list', [fld('IRKPTR', 0, 32)]),
    reg('ADDRPTR', 0x510, RW, 0, 'Pointer to the address to resolve', [fld('ADDRPTR', 0, 32)]),
    reg('SCRATCHPTR', 0x514, RW, 0, 'Pointer to a 3-byte scratch area', [fld('SCRATCHPTR', 0, 32)]),
  ],
});

const CCM_RATES = { Rate1Mbit: 0, Rate2Mbit: 1, Rate125Kbps: 2, Rate500Kbps: 3 };
const ccm = nrf({
  name: 'CCM',
  base: 0x4000f000,
  irq: 'CCM_AAR',
  group: 'CCM',
  alternatePeripheral: 'AAR',
  description: 'AES CCM mode encryption (recorded only); shares the AAR address',
  tasks: [
    ['KSGEN', 0x000, 'Start generating the key stream'],
    ['CRYPT', 0x004, 'Start encryption or decryption'],
    ['STOP', 0x008, 'Stop encryption or decryption'],
    ['RATEOVERRIDE', 0x00c, 'Override the data rate for the ongoing operation'],
  ],
  events: [
    ['ENDKSGEN', 0x100, 'Key stream generated'],
    ['ENDCRYPT', 0x104, 'Encryption or decryption complete'],
    ['ERROR', 0x108, 'Deprecated'],
  ],
  shorts: [[0, 'ENDKSGEN_CRYPT']],
  regs: [
    reg('MICSTATUS', 0x400, RO, 0, 'MIC check result', [
      fld('MICSTATUS', 0, 1, { CheckFailed: 0, CheckPassed: 1 }),
    ]),
    enableReg({ Enabled: 2 }, 'Enable CCM'),
    reg('MODE', 0x504, RW, 0x01, 'Operation mode', [
      fld('MODE', 0, 1, { Encryption: 0, Decryption: 1 }),
      fld('DATARATE', 16, 2, CCM_RATES),
      fld('LENGTH', 24, 1, { Default: 0, Extended: 1 }),
    ]),
    reg('CNFPTR', 0x508, RW, 0, 'Pointer to the CCM data structure', [fld('CNFPTR', 0, 32)]),
    reg('INPTR', 0x50c, RW, 0, 'Input pointer', [fld('INPTR', 0, 32)]),
    reg('OUTPTR', 0x510, RW, 0, 'Output pointer', [fld('OUTPTR', 0, 32)]),
    reg('SCRATCHPTR', 0x514, RW, 0, 'Scratch area pointer', [fld('SCRATCHPTR', 0, 32)]),
    reg('MAXPACKETSIZE', 0x518, RW, 0xfb, 'Maximum packet length (extended mode)', [
      fld('MAXPACKETSIZE', 0, 8),
    ]),
    reg('RATEOVERRIDE', 0x51c, RW, 0x2, 'Data rate override', [
      fld('RATEOVERRIDE', 0, 2, CCM_RATES),
    ]),
  ],
});

const qdec = nrf({
  name: 'QDEC',
  base: 0x40012000,
  irq: 'QDEC',
  group: 'QDEC',
  description: 'Quadrature decoder (recorded only)',
  tasks: [
    ['START', 0x000, 'Start the decoder'],
    ['STOP', 0x004, 'Stop the decoder'],
    ['READCLRACC', 0x008, 'Read and clear ACC and ACCDBL'],
    ['RDCLRACC', 0x00c, 'Read and clear ACC'],
    ['RDCLRDBL', 0x010, 'Read and clear ACCDBL'],
  ],
  events: [
    ['SAMPLERDY', 0x100, 'New sample in SAMPLE'],
    ['REPORTRDY', 0x104, 'Non-null report ready'],
    ['ACCOF', 0x108, 'ACC or ACCDBL overflow'],
    ['DBLRDY', 0x10c, 'Double displacement detected'],
    ['STOPPED', 0x110, 'Decoder stopped'],
  ],
  shorts: [
    [0, 'REPORTRDY_READCLRACC'],
    [1, 'SAMPLERDY_STOP'],
    [2, 'REPORTRDY_RDCLRACC'],
    [3, 'REPORTRDY_STOP'],
    [4, 'DBLRDY_RDCLRDBL'],
    [5, 'DBLRDY_STOP'],
    [6, 'SAMPLERDY_READCLRACC'],
  ],
  regs: [
    enableReg({ Enabled: 1 }, 'Enable QDEC'),
    reg('SAMPLE', 0x50c, RO, 0, 'Last motion sample', [fld('SAMPLE', 0, 32)]),
    reg('ACC', 0x514, RO, 0, 'Accumulated motion', [fld('ACC', 0, 32)]),
  ],
});

const compEvents = [
  ['READY', 0x100, 'Comparator ready'],
  ['DOWN', 0x104, 'Input went below the threshold'],
  ['UP', 0x108, 'Input went above the threshold'],
  ['CROSS', 0x10c, 'Input crossed the threshold'],
];
const compTasks = [
  ['START', 0x000, 'Start the comparator'],
  ['STOP', 0x004, 'Stop the comparator'],
  ['SAMPLE', 0x008, 'Sample the comparator value into RESULT'],
];
const compShorts = [
  [0, 'READY_SAMPLE'],
  [1, 'READY_STOP'],
  [2, 'DOWN_STOP'],
  [3, 'UP_STOP'],
  [4, 'CROSS_STOP'],
];
const comp = nrf({
  name: 'COMP',
  base: 0x40013000,
  irq: 'COMP_LPCOMP',
  group: 'COMP',
  description: 'General purpose comparator (recorded only); LPCOMP shares the address',
  tasks: compTasks,
  events: compEvents,
  shorts: compShorts,
  inten: 'all',
  regs: [
    reg('RESULT', 0x400, RO, 0, 'Last comparison', [fld('RESULT', 0, 1, { Below: 0, Above: 1 })]),
    enableReg({ Enabled: 2 }, 'Enable COMP'),
    reg('PSEL', 0x504, RW, 0, 'Analog input', [fld('PSEL', 0, 3)]),
  ],
});
const lpcomp = nrf({
  name: 'LPCOMP',
  base: 0x40013000,
  irq: 'COMP_LPCOMP',
  group: 'LPCOMP',
  alternatePeripheral: 'COMP',
  description: 'Low-power comparator (recorded only); shares the COMP address',
  tasks: compTasks,
  events: compEvents,
  shorts: compShorts,
  regs: [
    reg('RESULT', 0x400, RO, 0, 'Last comparison', [fld('RESULT', 0, 1, { Below: 0, Above: 1 })]),
    enableReg({ Enabled: 1 }, 'Enable LPCOMP'),
    reg('PSEL', 0x504, RW, 0, 'Analog input', [fld('PSEL', 0, 3)]),
  ],
});

function pwm(name, base, irq) {
  return nrf({
    name,
    base,
    irq,
    group: 'PWM',
    description: 'Pulse width modulation unit with EasyDMA sequences (recorded only)',
    tasks: [
      ['STOP', 0x004, 'Stop PWM generation at the end of the current period'],
      ['SEQSTART[%s]', 0x008, 'Load and play sequence n', 2],
      ['NEXTSTEP', 0x010, 'Step to the next value (NextStep decoder mode)'],
    ],
    events: [
      ['STOPPED', 0x104, 'PWM generation stopped'],
      ['SEQSTARTED[%s]', 0x108, 'Sequence n started', 2],
      ['SEQEND[%s]', 0x110, 'Sequence n ended', 2],
      ['PWMPERIODEND', 0x118, 'End of a PWM period'],
      ['LOOPSDONE', 0x11c, 'All loops played'],
    ],
    shorts: [
      [0, 'SEQEND0_STOP'],
      [1, 'SEQEND1_STOP'],
      [2, 'LOOPSDONE_SEQSTART0'],
      [3, 'LOOPSDONE_SEQSTART1'],
      [4, 'LOOPSDONE_STOP'],
    ],
    inten: 'all',
    regs: [
      enableReg({ Enabled: 1 }, 'Enable PWM'),
      reg('MODE', 0x504, RW, 0, 'Counter mode', [fld('UPDOWN', 0, 1, { Up: 0, UpAndDown: 1 })]),
      reg('COUNTERTOP', 0x508, RW, 0x3ff, 'Value the counter counts up to', [
        fld('COUNTERTOP', 0, 15),
      ]),
      reg('PRESCALER', 0x50c, RW, 0, 'PWM clock prescaler', [fld('PRESCALER', 0, 3)]),
      reg('DECODER', 0x510, RW, 0, 'How sequence values are read and loaded', [
        fld('LOAD', 0, 2, { Common: 0, Grouped: 1, Individual: 2, WaveForm: 3 }),
        fld('MODE', 8, 1, { RefreshCount: 0, NextStep: 1 }),
      ]),
      reg('LOOP', 0x514, RW, 0, 'Number of playbacks of a loop', [fld('CNT', 0, 16)]),
      reg('SEQ[%s].PTR', 0x520, RW, 0, 'Sequence n data pointer', [fld('PTR', 0, 32)], {
        dim: [2, 0x20],
      }),
      reg('SEQ[%s].CNT', 0x524, RW, 0, 'Sequence n length in values', [fld('CNT', 0, 15)], {
        dim: [2, 0x20],
      }),
      reg('PSEL.OUT[%s]', 0x560, RW, 0xffffffff, 'Output pin select for channel n', pselFields, {
        dim: [4, 4],
      }),
    ],
  });
}

const pdm = nrf({
  name: 'PDM',
  base: 0x4001d000,
  irq: 'PDM',
  group: 'PDM',
  description: 'Pulse density modulation (digital microphone) interface (recorded only)',
  tasks: [
    ['START', 0x000, 'Start continuous PDM transfer'],
    ['STOP', 0x004, 'Stop PDM transfer'],
  ],
  events: [
    ['STARTED', 0x100, 'PDM transfer started'],
    ['STOPPED', 0x104, 'PDM transfer finished'],
    ['END', 0x108, 'The last sample of the buffer is in Data RAM'],
  ],
  inten: 'all',
  regs: [
    enableReg({ Enabled: 1 }, 'Enable PDM'),
    reg('PDMCLKCTRL', 0x504, RW, 0x08400000, 'PDM clock generator', [fld('FREQ', 0, 32)]),
    reg('MODE', 0x508, RW, 0, 'Mono or stereo and sampling edge', [
      fld('OPERATION', 0, 1, { Stereo: 0, Mono: 1 }),
      fld('EDGE', 1, 1, { LeftFalling: 0, LeftRising: 1 }),
    ]),
    reg('GAINL', 0x518, RW, 0x28, 'Left gain', [fld('GAINL', 0, 7)]),
    reg('GAINR', 0x51c, RW, 0x28, 'Right gain', [fld('GAINR', 0, 7)]),
    reg('SAMPLE.PTR', 0x560, RW, 0, 'Sample buffer pointer', [fld('SAMPLEPTR', 0, 32)]),
    reg('SAMPLE.MAXCNT', 0x564, RW, 0, 'Sample buffer length in 16-bit words', [
      fld('BUFFSIZE', 0, 15),
    ]),
  ],
});

const acl = {
  name: 'ACL',
  base: 0x4001e000,
  group: 'ACL',
  description: 'Flash access control lists (registers at 0x800 in the NVMC block; recorded only)',
  block: [0x800, 0x80],
  registers: [
    reg('ACL[%s].ADDR', 0x800, RW, 0, 'Start of region n (page aligned)', [fld('ADDR', 0, 32)], {
      dim: [8, 0x10],
    }),
    reg(
      'ACL[%s].SIZE',
      0x804,
      RW,
      0,
      'Size of region n (multiple of the page size)',
      [fld('SIZE', 0, 32)],
      { dim: [8, 0x10] },
    ),
    reg(
      'ACL[%s].PERM',
      0x808,
      RW,
      0,
      'Access permissions of region n',
      [fld('WRITE', 1, 1, { Enable: 0, Disable: 1 }), fld('READ', 2, 1, { Enable: 0, Disable: 1 })],
      { dim: [8, 0x10] },
    ),
  ],
};

const mwu = nrf({
  name: 'MWU',
  base: 0x40020000,
  irq: 'MWU',
  group: 'MWU',
  description: 'Memory watch unit (recorded only)',
  events: [
    ['REGION[%s].WA', 0x100, 'Write access detected in region n', 4, 8],
    ['REGION[%s].RA', 0x104, 'Read access detected in region n', 4, 8],
    ['PREGION[%s].WA', 0x160, 'Write access detected in peripheral region n', 2, 8],
    ['PREGION[%s].RA', 0x164, 'Read access detected in peripheral region n', 2, 8],
  ],
  inten: 'all',
  regs: [
    reg('REGIONEN', 0x510, RW, 0, 'Enable watching of regions', [
      ...range(4).flatMap((i) => [
        fld(`RGN${i}WA`, 2 * i, 1, DISEN),
        fld(`RGN${i}RA`, 2 * i + 1, 1, DISEN),
      ]),
      fld('PRGN0WA', 24, 1, DISEN),
      fld('PRGN0RA', 25, 1, DISEN),
      fld('PRGN1WA', 26, 1, DISEN),
      fld('PRGN1RA', 27, 1, DISEN),
    ]),
  ],
});

const i2s = nrf({
  name: 'I2S',
  base: 0x40025000,
  irq: 'I2S',
  group: 'I2S',
  description: 'Inter-IC sound interface (recorded only)',
  tasks: [
    ['START', 0x000, 'Start continuous I2S transfer'],
    ['STOP', 0x004, 'Stop I2S transfer'],
  ],
  events: [
    ['RXPTRUPD', 0x104, 'RXD.PTR latched; a new pointer may be written'],
    ['STOPPED', 0x108, 'I2S transfer stopped'],
    ['TXPTRUPD', 0x114, 'TXD.PTR latched; a new pointer may be written'],
  ],
  inten: 'all',
  regs: [
    enableReg({ Enabled: 1 }, 'Enable I2S'),
    reg('RXD.PTR', 0x538, RW, 0, 'Receive buffer pointer', [fld('PTR', 0, 32)]),
    reg('TXD.PTR', 0x540, RW, 0, 'Transmit buffer pointer', [fld('PTR', 0, 32)]),
    reg('RXTXD.MAXCNT', 0x550, RW, 0, 'Buffer size in 32-bit words', [fld('MAXCNT', 0, 14)]),
  ],
});

const fpu = {
  name: 'FPU',
  base: 0x40026000,
  irq: 'FPU',
  group: 'FPU',
  description: 'FPU exception interrupt (no registers)',
  registers: [],
};

const usbd = nrf({
  name: 'USBD',
  base: 0x40027000,
  irq: 'USBD',
  group: 'USBD',
  description: 'Universal serial bus device (recorded only)',
  tasks: [
    ['STARTEPIN[%s]', 0x004, 'Capture EPIN[n].PTR/MAXCNT and arm IN endpoint n', 8],
    ['STARTISOIN', 0x024, 'Capture ISOIN.PTR/MAXCNT and arm the ISO IN endpoint'],
    ['STARTEPOUT[%s]', 0x028, 'Capture EPOUT[n].PTR/MAXCNT and arm OUT endpoint n', 8],
    ['STARTISOOUT', 0x048, 'Capture ISOOUT.PTR/MAXCNT and arm the ISO OUT endpoint'],
    ['EP0RCVOUT', 0x04c, 'Allow the OUT data stage on endpoint 0'],
    ['EP0STATUS', 0x050, 'Allow the status stage on endpoint 0'],
    ['EP0STALL', 0x054, 'Stall the data and status stages on endpoint 0'],
    ['DPDMDRIVE', 0x058, 'Force D+ and D- to the DPDMVALUE state'],
    ['DPDMNODRIVE', 0x05c, 'Stop forcing D+ and D-'],
  ],
  events: [
    ['USBRESET', 0x100, 'USB reset on the bus'],
    ['STARTED', 0x104, 'EasyDMA registers captured'],
    ['ENDEPIN[%s]', 0x108, 'EPIN[n] buffer consumed', 8],
    ['EP0DATADONE', 0x128, 'Data transfer on endpoint 0 acknowledged'],
    ['ENDISOIN', 0x12c, 'ISOIN buffer consumed'],
    ['ENDEPOUT[%s]', 0x130, 'EPOUT[n] buffer filled', 8],
    ['ENDISOOUT', 0x150, 'ISOOUT buffer filled'],
    ['SOF', 0x154, 'Start of frame'],
    ['USBEVENT', 0x158, 'See EVENTCAUSE'],
    ['EP0SETUP', 0x15c, 'SETUP token received on endpoint 0'],
    ['EPDATA', 0x160, 'Data transfer acknowledged (see EPDATASTATUS)'],
  ],
  shorts: [
    [0, 'EP0DATADONE_STARTEPIN0'],
    [1, 'EP0DATADONE_STARTEPOUT0'],
    [2, 'EP0DATADONE_EP0STATUS'],
    [3, 'ENDEPOUT0_EP0STATUS'],
    [4, 'ENDEPOUT0_EP0RCVOUT'],
  ],
  inten: 'all',
  regs: [
    reg(
      'EVENTCAUSE',
      0x400,
      RW,
      0,
      'Cause of USBEVENT; write 1 to clear',
      [
        fld('ISOOUTCRC', 0, 1),
        fld('SUSPEND', 8, 1),
        fld('RESUME', 9, 1),
        fld('USBWUALLOWED', 10, 1),
        fld('READY', 11, 1),
      ],
      { modifiedWriteValues: 'oneToClear' },
    ),
    reg('USBADDR', 0x470, RO, 0, 'Device USB address', [fld('ADDR', 0, 7)]),
    enableReg({ Enabled: 1 }, 'Enable USB'),
    reg('USBPULLUP', 0x504, RW, 0, 'D+ pull-up', [fld('CONNECT', 0, 1, DISEN)]),
  ],
});

const qspi = nrf({
  name: 'QSPI',
  base: 0x40029000,
  irq: 'QSPI',
  group: 'QSPI',
  description: 'External flash memory interface (recorded only; not on the nRF52833)',
  tasks: [
    ['ACTIVATE', 0x000, 'Activate the interface and talk to the external memory'],
    ['READSTART', 0x004, 'Read from external flash into RAM'],
    ['WRITESTART', 0x008, 'Write from RAM into external flash'],
    ['ERASESTART', 0x00c, 'Erase part of the external flash'],
    ['DEACTIVATE', 0x010, 'Deactivate the interface'],
  ],
  events: [['READY', 0x100, 'Response to a QSPI task']],
  inten: 'all',
  regs: [
    enableReg({ Enabled: 1 }, 'Enable QSPI'),
    reg('READ.SRC', 0x504, RW, 0, 'Flash address to read from', [fld('SRC', 0, 32)]),
    reg('READ.DST', 0x508, RW, 0, 'RAM address to read into', [fld('DST', 0, 32)]),
    reg('READ.CNT', 0x50c, RW, 0, 'Bytes to read', [fld('CNT', 0, 20)]),
    reg('WRITE.DST', 0x510, RW, 0, 'Flash address to write to', [fld('DST', 0, 32)]),
    reg('WRITE.SRC', 0x514, RW, 0, 'RAM address to write from', [fld('SRC', 0, 32)]),
    reg('WRITE.CNT', 0x518, RW, 0, 'Bytes to write', [fld('CNT', 0, 20)]),
    reg('ERASE.PTR', 0x51c, RW, 0, 'Flash address to erase', [fld('PTR', 0, 32)]),
    reg('ERASE.LEN', 0x520, RW, 0, 'Erase size', [
      fld('LEN', 0, 2, { Len4KB: 0, Len64KB: 1, All: 2 }),
    ]),
    reg('STATUS', 0x604, RO, 0, 'Interface and memory status', [
      fld('DPM', 2, 1, DISEN),
      fld('READY', 3, 1, { BUSY: 0, READY: 1 }),
      fld('SREG', 24, 8),
    ]),
  ],
});

const cryptocell = {
  name: 'CRYPTOCELL',
  base: 0x5002a000,
  irq: 'CRYPTOCELL',
  group: 'CRYPTOCELL',
  description: 'CryptoCell subsystem control (recorded only; not on the nRF52833)',
  registers: [enableReg({ Enabled: 1 }, 'Enable the CryptoCell subsystem')],
};

const ccHostRgf = {
  name: 'CC_HOST_RGF',
  base: 0x5002b000,
  group: 'CC_HOST_RGF',
  description: 'CryptoCell host register interface (recorded only; not on the nRF52833)',
  registers: [
    reg('HOST_CRYPTOKEY_SEL', 0xa38, RW, 0, 'AES hardware key select', [
      fld('HOST_CRYPTOKEY_SEL', 0, 2, { K_DR: 0, K_PRTL: 1, Session: 2 }),
    ]),
    reg('HOST_IOT_KPRTL_LOCK', 0xa4c, RW, 0, 'Lock the device root key K_PRTL', [
      fld('HOST_IOT_KPRTL_LOCK', 0, 1, DISEN),
    ]),
    reg('HOST_IOT_KDR0', 0xa50, RW, 0, 'Device root key K_DR bits 0-31', [
      fld('HOST_IOT_KDR0', 0, 32),
    ]),
    reg('HOST_IOT_KDR1', 0xa54, WO, 0, 'Device root key K_DR bits 32-63', [
      fld('HOST_IOT_KDR1', 0, 32),
    ]),
    reg('HOST_IOT_KDR2', 0xa58, WO, 0, 'Device root key K_DR bits 64-95', [
      fld('HOST_IOT_KDR2', 0, 32),
    ]),
    reg('HOST_IOT_KDR3', 0xa5c, WO, 0, 'Device root key K_DR bits 96-127', [
      fld('HOST_IOT_KDR3', 0, 32),
    ]),
    reg('HOST_IOT_LCS', 0xa60, RW, 2, 'Life cycle state', [
      fld('LCS', 0, 3, { Debug: 0, Secure: 2 }),
      fld('LCS_IS_VALID', 8, 1, { Invalid: 0, Valid: 1 }, undefined, { access: RO }),
    ]),
  ],
};

/**
 * The PS's SET/CLR register pairs act on the bits of another register: writing 1 sets (or
 * clears) the bit, writing 0 leaves it. SVD says so with modifiedWriteValues.
 */
const SET_CLR = /^(INTEN|EVTEN|OUT|DIR|CHEN|REGIONEN|RAM\[%s\]\.POWER)(SET|CLR)$/;
function markSetClear(r) {
  const m = SET_CLR.exec(r.name);
  if (m) r.modifiedWriteValues = m[2] === 'SET' ? 'oneToSet' : 'oneToClear';
}

/** Peripherals the nRF52833 (micro:bit v2) does not have. */
const NOT_ON_52833 = new Set(['QSPI', 'CRYPTOCELL', 'CC_HOST_RGF']);

/**
 * The device description for `variant`. Interrupt values are peripheral IDs (base >> 12 & 0x3F),
 * filled in by the generator from the base address.
 */
export function device(variant = 'nrf52840') {
  if (variant !== 'nrf52840' && variant !== 'nrf52833')
    throw new Error(`unknown variant '${variant}' (expected nrf52840 or nrf52833)`);
  const derived = (name, base, from, irq, description) => ({
    name,
    base,
    derivedFrom: from,
    irq,
    description,
  });
  const peripherals = [
    ficr(variant),
    uicr,
    clock,
    power,
    radio,
    uarte0,
    uart0,
    spim('SPIM0', 0x40003000, 'SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0'),
    spis('SPIS0', 0x40003000, 'SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0', 'SPIM0'),
    twim('TWIM0', 0x40003000, 'SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0', 'SPIM0'),
    twis('TWIS0', 0x40003000, 'SPIM0_SPIS0_TWIM0_TWIS0_SPI0_TWI0', 'SPIM0'),
    derived('SPIM1', 0x40004000, 'SPIM0', 'SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1'),
    {
      ...derived('SPIS1', 0x40004000, 'SPIS0', 'SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1'),
      alternatePeripheral: 'SPIM1',
    },
    {
      ...derived('TWIM1', 0x40004000, 'TWIM0', 'SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1'),
      alternatePeripheral: 'SPIM1',
    },
    {
      ...derived('TWIS1', 0x40004000, 'TWIS0', 'SPIM1_SPIS1_TWIM1_TWIS1_SPI1_TWI1'),
      alternatePeripheral: 'SPIM1',
    },
    nfct,
    gpiote,
    saadc,
    timerPeripheral('TIMER0', 0x40008000, 4, 'Timer/counter 0 (4 capture/compare registers)'),
    derived(
      'TIMER1',
      0x40009000,
      'TIMER0',
      'TIMER1',
      'Timer/counter 1 (4 capture/compare registers)',
    ),
    derived(
      'TIMER2',
      0x4000a000,
      'TIMER0',
      'TIMER2',
      'Timer/counter 2 (4 capture/compare registers)',
    ),
    rtcPeripheral('RTC0', 0x4000b000, 3),
    temp,
    rng,
    ecb,
    aar,
    ccm,
    wdt,
    rtcPeripheral('RTC1', 0x40011000, 4),
    qdec,
    comp,
    lpcomp,
    eguPeripheral(0),
    ...[1, 2, 3, 4, 5].map((n) =>
      derived(
        `EGU${n}`,
        0x40014000 + n * 0x1000,
        'EGU0',
        `SWI${n}_EGU${n}`,
        `Event generator unit ${n} (shares the SWI${n} interrupt)`,
      ),
    ),
    timerPeripheral('TIMER3', 0x4001a000, 6, 'Timer/counter 3 (6 capture/compare registers)'),
    derived(
      'TIMER4',
      0x4001b000,
      'TIMER3',
      'TIMER4',
      'Timer/counter 4 (6 capture/compare registers)',
    ),
    pwm('PWM0', 0x4001c000, 'PWM0'),
    pdm,
    nvmc,
    acl,
    ppi,
    mwu,
    derived('PWM1', 0x40021000, 'PWM0', 'PWM1'),
    derived('PWM2', 0x40022000, 'PWM0', 'PWM2'),
    derived('SPIM2', 0x40023000, 'SPIM0', 'SPIM2_SPIS2_SPI2'),
    { ...derived('SPIS2', 0x40023000, 'SPIS0', 'SPIM2_SPIS2_SPI2'), alternatePeripheral: 'SPIM2' },
    derived(
      'RTC2',
      0x40024000,
      'RTC1',
      'RTC2',
      'Real-time counter on LFCLK (24-bit, 4 compare registers)',
    ),
    i2s,
    fpu,
    usbd,
    {
      ...derived('UARTE1', 0x40028000, 'UARTE0', 'UARTE1'),
      description: 'UART with EasyDMA, instance 1 (no legacy UART here)',
    },
    qspi,
    derived('PWM3', 0x4002d000, 'PWM0', 'PWM3'),
    derived(
      'SPIM3',
      0x4002f000,
      'SPIM0',
      'SPIM3',
      'High-speed SPI master (recorded only; its extra CSN/DCX registers are not described)',
    ),
    cryptocell,
    ccHostRgf,
    p0,
    p1,
  ].filter((p) => variant === 'nrf52840' || !NOT_ON_52833.has(p.name));
  for (const p of peripherals) for (const r of p.registers ?? []) markSetClear(r);
  const part = variant === 'nrf52840' ? 'nRF52840' : 'nRF52833';
  return {
    name: variant,
    version: '1',
    description: `${part}: Cortex-M4F with FPU, ${variant === 'nrf52840' ? '1 MiB flash, 256 KiB RAM' : '512 KiB flash, 128 KiB RAM'}. Written from the ${part} Product Specification by Capsule Studio.`,
    peripherals,
  };
}
