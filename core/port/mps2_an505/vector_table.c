/* The Cortex-M33 vector table, in C so that every entry is a link-time constant: initial stack
   pointer, reset, then NMI, HardFault, MemManage, BusFault, UsageFault and SecureFault, all of
   which end the run as a failure. */
/* The linker script defines __stack_top; declared as a function so that its address fits the
   table's type without an object-to-function pointer conversion. */
extern void __stack_top(void);
void reset_handler(void);
void fault_handler(void);

typedef void (*handler_t)(void);

__attribute__((section(".vectors"), used)) const handler_t vector_table[] = {
    __stack_top,   reset_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, fault_handler,
};
